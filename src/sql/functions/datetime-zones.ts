/**
 * Time zones as Spark's `getZoneId` reads them (`Z`, every numeric offset form Java accepts,
 * `UTC` / `GMT` / `UT` with or without an offset, Java's short ids, region ids that DuckDB's ICU
 * resolves), and local date-times placed in them the way Java's `LocalDateTime.atZone` does.
 */
import type { AstNode } from '../ast.ts';
import {
  and,
  bind,
  cast,
  cmp,
  fn,
  groupInt,
  instantOf,
  int,
  isNull,
  listOf,
  messageWith,
  not,
  nullOf,
  op,
  or,
  raise,
  str_,
  TSTZ,
  wallClock,
  when,
} from './datetime-sql.ts';
import type { FunctionCall } from './rules.ts';

/** What a zone needs of its call: a name for messages. */
type Call = Pick<FunctionCall, 'name' | 'unsupported'>;

/** Java's `ZoneId.SHORT_IDS`: fixed offsets and the regions the others stand for. */
const SHORT_IDS: Readonly<Record<string, string>> = {
  EST: '-05:00',
  MST: '-07:00',
  HST: '-10:00',
  ACT: 'Australia/Darwin',
  AET: 'Australia/Sydney',
  AGT: 'America/Argentina/Buenos_Aires',
  ART: 'Africa/Cairo',
  AST: 'America/Anchorage',
  BET: 'America/Sao_Paulo',
  BST: 'Asia/Dhaka',
  CAT: 'Africa/Harare',
  CNT: 'America/St_Johns',
  CST: 'America/Chicago',
  CTT: 'Asia/Shanghai',
  EAT: 'Africa/Addis_Ababa',
  ECT: 'Europe/Paris',
  IET: 'America/Indiana/Indianapolis',
  IST: 'Asia/Kolkata',
  JST: 'Asia/Tokyo',
  MIT: 'Pacific/Apia',
  NET: 'Asia/Yerevan',
  NST: 'Pacific/Auckland',
  PLT: 'Asia/Karachi',
  PNT: 'America/Phoenix',
  PRT: 'America/Puerto_Rico',
  PST: 'America/Los_Angeles',
  SST: 'Pacific/Guadalcanal',
  VST: 'Asia/Ho_Chi_Minh',
};
const FIXED_SHORT_IDS = Object.entries(SHORT_IDS).filter(([, v]) => v.startsWith('-'));
const REGION_SHORT_IDS = Object.entries(SHORT_IDS).filter(([, v]) => !v.startsWith('-'));

/** Region ids without a slash that Java's and ICU's zone databases both know. */
const BARE_REGIONS = ['CET', 'EET', 'MET', 'WET', 'EST5EDT', 'CST6CDT', 'MST7MDT', 'PST8PDT'];

/** Region ids: `Area/City[/…]`, each part starting with a capital (Java ids are case-sensitive). */
const REGION = '^[A-Z][A-Za-z0-9_+-]*(/[A-Z][A-Za-z0-9_+-]*)+$';

/** A numeric offset as Java's `ZoneOffset.of` reads it (after an optional UTC/GMT/UT prefix). */
const OFFSET =
  '^(?:UTC|GMT|UT)?[+-]([0-9]{1,2}|[0-9]{2}:[0-9]{2}|[0-9]{4}|[0-9]{2}:[0-9]{2}:[0-9]{2}|[0-9]{6})$';

/** `values[keys.indexOf(key)]` as SQL, NULL when absent. */
function lookup(entries: readonly (readonly [string, string])[], key: AstNode): AstNode {
  return fn(
    'list_extract',
    listOf(entries.map(([, v]) => v)),
    fn('list_position', listOf(entries.map(([k]) => k)), key),
  );
}

/**
 * Seconds east of UTC of a zone text that is a fixed offset (`Z`, `UTC`, `+05:30`, `GMT-8`,
 * `EST`), NULL for other text, raising for an offset Java rejects (beyond ±18:00, minutes ≥ 60).
 * Spark first pads `+h:` and `:m` forms (`getZoneId`).
 */
export function offsetSeconds(c: Call, zone: AstNode): AstNode {
  const padded = fn(
    'regexp_replace',
    fn('regexp_replace', zone, str_('([+-])([0-9]):'), str_('\\10\\2:')),
    str_('([+-])([0-9]{2}):([0-9])$'),
    str_('\\1\\2:0\\3'),
  );
  return bind(fn('ifnull', lookup(FIXED_SHORT_IDS, zone), padded), 'dt_offset', (text) =>
    bind(fn('regexp_extract', text, str_('[+-][0-9:]+$')), 'dt_signed', (signed) =>
      bind(fn('replace', fn('substr', signed, int(2)), str_(':'), str_('')), 'dt_digits', (digits) => {
        const part = (from: number) => groupInt(fn('substr', digits, int(from), int(2)), 0);
        const short = cmp(fn('length', digits), '<=', int(2));
        const hours = when([[short, cast(digits, 'INTEGER')]], part(1));
        const minutes = when([[short, int(0)]], part(3));
        const seconds = when([[short, int(0)]], part(5));
        const total = op('+', op('+', op('*', hours, int(3600)), op('*', minutes, int(60))), seconds);
        const sign = when([[fn('starts_with', signed, str_('-')), int(-1)]], int(1));
        const valid = and(
          cmp(minutes, '<=', int(59)),
          cmp(seconds, '<=', int(59)),
          cmp(total, '<=', int(18 * 3600)),
        );
        return when(
          [
            [fn('list_contains', listOf(['Z', 'UTC', 'GMT', 'UT']), zone), int(0)],
            [
              fn('regexp_full_match', text, str_(OFFSET)),
              when(
                [[valid, op('*', sign, total)]],
                raise(messageWith(`[CAST_INVALID_INPUT] '`, zone, `' (in ${c.name}())`), 'INTEGER'),
              ),
            ],
          ],
          nullOf('INTEGER'),
        );
      }),
    ),
  );
}

/** A zone text as a region id DuckDB's ICU can use, NULL when it is not one. */
function regionOf(zone: AstNode): AstNode {
  return fn(
    'ifnull',
    lookup(REGION_SHORT_IDS, zone),
    when(
      [
        [
          or(fn('list_contains', listOf(BARE_REGIONS), zone), fn('regexp_full_match', zone, str_(REGION))),
          zone,
        ],
      ],
      nullOf('VARCHAR'),
    ),
  );
}

/**
 * The instant of a local date-time in a region, as Java's `LocalDateTime.atZone` picks it: in a
 * gap the local time moves forward by the gap (ICU does the same); where the clock turns back, the
 * earlier of the two instants (ICU gives the later one: the earlier one is tried from the offset
 * a day before).
 */
export function regionInstant(local: AstNode, region: AstNode): AstNode {
  return bind(fn('timezone', region, local), 'dt_icu', (icu) => {
    const dayBefore = op('-', icu, fn('to_days', int(1)));
    const offsetBefore = op('-', fn('timezone', region, dayBefore), wallClock(dayBefore));
    return bind(instantOf(op('-', local, offsetBefore)), 'dt_earlier', (earlier) =>
      when([[and(cmp(earlier, '<', icu), cmp(fn('timezone', region, earlier), '=', local)), earlier]], icu),
    );
  });
}

/**
 * The instant of `local` in the zone `zone` (trimmed text, not empty) as Spark's `getZoneId`
 * reads it; `s` (the whole input) is named when the zone is not one Java knows.
 */
export function zonedInstant(c: Call, local: AstNode, zone: AstNode, s: AstNode): AstNode {
  return bind(zone, 'dt_zone', (zone) =>
    bind(local, 'dt_local', (local) =>
      bind(offsetSeconds(c, zone), 'dt_seconds', (offset) =>
        bind(regionOf(zone), 'dt_region', (region) =>
          when(
            [
              [not(isNull(offset)), instantOf(op('-', local, fn('to_seconds', cast(offset, 'BIGINT'))))],
              [not(isNull(region)), regionInstant(local, region)],
            ],
            raise(
              messageWith(
                `[CAST_INVALID_INPUT] The zone of '`,
                s,
                `' is not one sluice reads (in ${c.name}())`,
              ),
              TSTZ,
            ),
          ),
        ),
      ),
    ),
  );
}

/**
 * The instant of `local` in a zone given as an argument (`make_timestamp(…, tz)`,
 * `to_utc_timestamp(ts, tz)`), Spark's `getZoneId` reading of the text.
 */
export function instantInZone(c: Call, local: AstNode, zone: AstNode): AstNode {
  return bind(zone, 'dt_arg', (arg) =>
    when([[isNull(arg), nullOf(TSTZ)]], zonedInstant(c, local, fn('trim', arg), arg)),
  );
}

/** The wall clock of `instant` in a zone given as an argument (the inverse of `instantInZone`). */
export function wallClockInZone(c: Call, instant: AstNode, zone: AstNode): AstNode {
  return bind(zone, 'dt_arg', (arg) =>
    bind(fn('trim', arg), 'dt_zone', (z) =>
      bind(instant, 'dt_instant', (instant) =>
        bind(offsetSeconds(c, z), 'dt_seconds', (offset) =>
          bind(regionOf(z), 'dt_region', (region) =>
            when(
              [
                [isNull(arg), nullOf('TIMESTAMP')],
                [not(isNull(offset)), op('+', wallClock(instant), fn('to_seconds', cast(offset, 'BIGINT')))],
                [not(isNull(region)), fn('timezone', region, instant)],
              ],
              raise(
                messageWith(`[CAST_INVALID_INPUT] '`, arg, `' is not a zone sluice reads (in ${c.name}())`),
                'TIMESTAMP',
              ),
            ),
          ),
        ),
      ),
    ),
  );
}
