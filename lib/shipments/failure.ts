import { z } from 'zod';

// Why a delivery failed: public.failure_reason (supabase/migrations/20261204000100_shipment_failure_reasons.sql;
// tests/db/failure-reasons.test.ts keeps this list in step with the enum).

export const FAILURE_REASONS = ['recipient_absent', 'address_wrong', 'refused', 'damaged', 'other'] as const;
export const failureReasonSchema = z.enum(FAILURE_REASONS);
export type FailureReason = z.infer<typeof failureReasonSchema>;

/** The reason as a driver picks it and a dispatcher reads it. */
export const FAILURE_REASON_LABEL: Record<FailureReason, string> = {
  recipient_absent: 'Recipient not there',
  address_wrong: 'Address wrong or not found',
  refused: 'Refused by the recipient',
  damaged: 'Parcel damaged',
  other: 'Other',
};

export const FAILURE_NOTE_MAX_LENGTH = 500;

/** What a driver submits with "Couldn't deliver" (the database checks the same rules). */
export const failureReportSchema = z
  .object({
    reason: failureReasonSchema,
    note: z
      .string()
      .trim()
      .max(FAILURE_NOTE_MAX_LENGTH, `Keep the note under ${FAILURE_NOTE_MAX_LENGTH} characters.`)
      .transform((note) => (note === '' ? null : note)),
  })
  .refine((report) => report.reason !== 'other' || report.note !== null, {
    message: 'Say what happened in the note.',
    path: ['note'],
  });
export type FailureReport = z.infer<typeof failureReportSchema>;

/** One line for a failed shipment: "Refused by the recipient: left at the door" (null when it has no reason). */
export function describeFailure(shipment: { failure_reason: FailureReason | null; failure_note: string | null }) {
  if (!shipment.failure_reason) return null;
  const label = FAILURE_REASON_LABEL[shipment.failure_reason];
  return shipment.failure_note ? `${label}: ${shipment.failure_note}` : label;
}
