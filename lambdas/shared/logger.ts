import { Logger } from '@aws-lambda-powertools/logger';

/** Attributes that hold a customer's personal data: never written to the logs as they are. */
const PERSONAL_KEYS = new Set([
  'email',
  'customeremail',
  'receipt_email',
  'to',
  'customername',
  'first_name',
  'last_name',
  'phone',
  'address',
  'address_to',
  'shippingaddress',
  'shipping_address',
  'billingaddress',
  'shipping',
  'shipping_details',
  'customer_details',
  'line1',
  'line2',
  'postalcode',
  'postal_code',
  'zip',
]);
/** Attributes that hold credentials. */
const SECRET_KEYS = /secret|token|password|authorization|signature|api[_-]?key/i;
const EMAIL = /([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})/g;
const STRIPE_SECRET = /\b(whsec|sk_live|sk_test|rk_live|rk_test)_[A-Za-z0-9]+/g;

/** `sakura@example.com` -> `s***@example.com`: enough to tell customers apart, not to write to them. */
export function maskEmail(text: string): string {
  return text.replace(EMAIL, '$1***@$2');
}

/**
 * The logs' JSON replacer: personal data (email, customer name, phone, address) and credentials are masked
 * wherever they appear — as attributes of any depth, and email addresses or Stripe secrets inside
 * any string (error messages included).
 */
export function maskPersonalData(key: string, value: unknown): unknown {
  if (key && value !== undefined && value !== null && value !== '') {
    if (SECRET_KEYS.test(key) && !/arn$/i.test(key) && typeof value !== 'object') return '***';
    if (PERSONAL_KEYS.has(key.toLowerCase())) {
      return typeof value === 'string' && key.toLowerCase().includes('email') ? maskEmail(value) : '***';
    }
  }
  if (typeof value === 'string') return maskEmail(value).replace(STRIPE_SECRET, '$1_***');
  return value;
}

/**
 * Structured JSON logs; POWERTOOLS_SERVICE_NAME and POWERTOOLS_LOG_LEVEL come from the stack. Every
 * line carries the keys appended per invocation (Stripe event id, order id, execution name), and
 * nothing personal or secret.
 */
export const logger = new Logger({ jsonReplacerFn: maskPersonalData });
