import { z } from 'zod';

// Schemas of every payload a client sends. Like Supabase, a join payload that
// does not validate falls back to defaults field by field instead of failing.

const bool = z
  .union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')])
  .optional()
  .catch(undefined);

/** One postgres_changes binding as the client sent it: params.ts reads it as Supabase does. */
export const postgresChangeParamsSchema = z.record(z.string(), z.unknown());
export type PostgresChangeParams = z.infer<typeof postgresChangeParamsSchema>;

export const joinPayloadSchema = z.object({
  config: z
    .object({
      broadcast: z
        .object({
          ack: bool,
          self: bool,
          replication_ready: bool,
          replay: z
            .object({
              since: z.coerce.number().int().min(0).default(0),
              limit: z.coerce.number().int().min(1).max(25).default(25),
            })
            .optional(),
        })
        .optional()
        .catch(undefined),
      presence: z
        .object({
          key: z
            .union([z.string(), z.number().transform(String)])
            .optional()
            .catch(undefined),
          enabled: bool,
        })
        .optional()
        .catch(undefined),
      postgres_changes: z.array(z.unknown()).optional().catch(undefined),
      private: bool,
      postgres_changes_options: z.object({ wait: bool, timeout: z.number().optional() }).optional().catch(undefined),
    })
    .optional()
    .catch(undefined),
  access_token: z.string().nullable().optional().catch(undefined),
  user_token: z.string().nullable().optional().catch(undefined),
});
export type JoinPayload = z.infer<typeof joinPayloadSchema>;

/** Replay options are validated strictly: a bad `replay` fails the join ("Replay params are not valid"). */
export const replaySchema = z.object({
  since: z.coerce.number().int().min(0),
  limit: z.coerce.number().int().min(1).max(25).optional(),
});

export const broadcastPushSchema = z.object({
  type: z.literal('broadcast').optional(),
  event: z.string().min(1),
  payload: z.unknown().optional(),
});

export const presencePushSchema = z.discriminatedUnion('event', [
  z.object({ type: z.literal('presence').optional(), event: z.literal('track'), payload: z.unknown().optional() }),
  z.object({ type: z.literal('presence').optional(), event: z.literal('untrack') }),
]);

export const accessTokenPushSchema = z.object({ access_token: z.string().nullable().optional() });

export const restBroadcastSchema = z.object({
  messages: z
    .array(
      z.object({
        topic: z.string().min(1),
        event: z.string().min(1),
        payload: z.unknown().optional(),
        private: z.boolean().optional(),
      }),
    )
    .min(1)
    .max(100),
});
