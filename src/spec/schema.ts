import { z } from 'zod';

/** Alerts a notification can subscribe to (the Lakeflow names). */
export const NOTIFICATION_ALERTS = [
  'on-update-success',
  'on-update-failure',
  'on-update-fatal-failure',
  'on-flow-failure',
] as const;

export type NotificationAlert = (typeof NOTIFICATION_ALERTS)[number];

/** Scalars in string maps are coerced to strings (`retries: 3` → `'3'`), as Spark does for conf. */
const stringValue = z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v));
const stringMap = z.record(z.string(), stringValue);

/**
 * The raw spec schema. Every object is strict: an unknown key is reported as
 * PIPELINE_SPEC_UNEXPECTED_FIELD (see load-spec.ts), never silently ignored.
 */
export const rawSpecSchema = z.strictObject({
  name: z.string().min(1),
  storage: z.string().min(1).optional(),
  catalog: z.string().min(1).optional(),
  database: z.string().min(1).optional(),
  schema: z.string().min(1).optional(),
  configuration: stringMap.optional(),
  libraries: z
    .array(
      z.strictObject({
        glob: z.strictObject({ include: z.string().min(1) }),
      }),
    )
    .optional(),
  continuous: z.boolean().optional(),
  notifications: z
    .array(
      z.strictObject({
        alerts: z.array(z.enum(NOTIFICATION_ALERTS)).min(1),
        email_recipients: z.array(z.string().min(1)).optional(),
        webhook_urls: z.array(z.string().url()).optional(),
      }),
    )
    .optional(),
  tags: stringMap.optional(),
  /** SMTP server for email notifications (each field may instead come from SLUICE_SMTP_* variables). */
  smtp: z
    .strictObject({
      host: z.string().min(1).optional(),
      port: z.number().int().min(1).max(65535).optional(),
      from: z.string().min(1).optional(),
      /** Implicit TLS (port 465 style); otherwise STARTTLS is used when the server offers it. */
      secure: z.boolean().optional(),
      user: z.string().min(1).optional(),
      password: z.string().optional(),
    })
    .optional(),
});

export type RawSpec = z.infer<typeof rawSpecSchema>;
