/**
 * What every part of the Printify stand-in answers with: a Reply (status, JSON body, headers) and
 * Printify's documented error body (see PrintifyErrorBody).
 */
import type { PrintifyErrorBody } from '../../lambdas/adapters/printify-api-types';

/** An HTTP answer before it is written: `body` is sent as JSON. */
export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** A JSON object. */
export type Json = Record<string, unknown>;

/** Printify's code for "Validation failed." (a 400 whose reason names the fields). */
export const VALIDATION_CODE = 8150;
/** Printify's code for "Operation failed." (e.g. sending an order that is not on hold). */
export const OPERATION_FAILED_CODE = 8502;

/** Printify's error body. */
export function printifyError(code: number, message: string, reason: string): PrintifyErrorBody {
  return { status: 'error', code, message, errors: { reason, code } };
}

/** 404 with Printify's error body; `what` is the reason. */
export function notFound(what = 'Not found'): Reply {
  return { status: 404, body: printifyError(404, 'Not found.', what) };
}

/** 405 with Printify's error body. */
export function methodNotAllowed(method: string): Reply {
  return { status: 405, body: printifyError(405, 'Method not allowed.', `${method} is not allowed here.`) };
}

/** 400 "Validation failed." with the per-field messages joined, as Printify reports them. */
export function validationFailed(errors: string[]): Reply {
  return { status: 400, body: printifyError(VALIDATION_CODE, 'Validation failed.', errors.join(' ')) };
}

/** True for a JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
