import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';

// zod's small build, with only the English messages (they name the problem in errors).
z.config(en());

/** Alerts a notification can subscribe to (the Lakeflow names). */
export const NOTIFICATION_ALERTS = [
  'on-update-success',
  'on-update-failure',
  'on-update-fatal-failure',
  'on-flow-failure',
] as const;

export type NotificationAlert = (typeof NOTIFICATION_ALERTS)[number];

/** Scalars in string maps are coerced to strings (`retries: 3` → `'3'`), as Spark does for conf. */
const stringValue = z.pipe(
  z.union([z.string(), z.number(), z.boolean()]),
  z.transform((v: string | number | boolean) => String(v)),
);
const stringMap = z.record(z.string(), stringValue);

/**
 * The raw spec schema. Every object is strict: an unknown key is reported as
 * PIPELINE_SPEC_UNEXPECTED_FIELD (see load-spec.ts), never silently ignored.
 */
const nonEmpty = () => z.string().check(z.minLength(1));

export const rawSpecSchema = z.strictObject({
  name: nonEmpty(),
  storage: z.optional(nonEmpty()),
  catalog: z.optional(nonEmpty()),
  database: z.optional(nonEmpty()),
  schema: z.optional(nonEmpty()),
  configuration: z.optional(stringMap),
  libraries: z.optional(
    z.array(
      z.strictObject({
        glob: z.strictObject({ include: nonEmpty() }),
      }),
    ),
  ),
  continuous: z.optional(z.boolean()),
  notifications: z.optional(
    z.array(
      z.strictObject({
        alerts: z.array(z.enum(NOTIFICATION_ALERTS)).check(z.minLength(1)),
        email_recipients: z.optional(z.array(nonEmpty())),
        webhook_urls: z.optional(z.array(z.url())),
      }),
    ),
  ),
  tags: z.optional(stringMap),
  /**
   * sluice's stand-in for a catalog: a table outside the pipeline (`catalog.schema.table`, as
   * the SQL names it) bound to local data — a Delta table folder, or files of a format.
   */
  external_tables: z.optional(
    z.record(
      nonEmpty(),
      z.union([
        nonEmpty(),
        z.strictObject({
          path: nonEmpty(),
          format: z.optional(z.enum(['delta', 'json', 'csv', 'parquet', 'text'])),
          options: z.optional(stringMap),
        }),
      ]),
    ),
  ),
  /** `sluice lint` settings: a severity per rule id (rule ids are checked by the lint config loader). */
  lint: z.optional(
    z.strictObject({
      rules: z.optional(z.record(z.string(), z.enum(['off', 'note', 'warning', 'error']))),
    }),
  ),
  /** SMTP server for email notifications (each field may instead come from SLUICE_SMTP_* variables). */
  smtp: z.optional(
    z.strictObject({
      host: z.optional(nonEmpty()),
      port: z.optional(z.int().check(z.minimum(1), z.maximum(65535))),
      from: z.optional(nonEmpty()),
      /** Implicit TLS (port 465 style); otherwise STARTTLS is used when the server offers it. */
      secure: z.optional(z.boolean()),
      user: z.optional(nonEmpty()),
      password: z.optional(z.string()),
    }),
  ),
});

export type RawSpec = z.infer<typeof rawSpecSchema>;
