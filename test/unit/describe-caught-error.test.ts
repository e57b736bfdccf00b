import { describeCaughtError, toPrintifyAddress } from '../../lambdas/fulfilment/printify-order';
import type { ShippingAddress } from '../../lambdas/domain/workflow-input';

describe('describeCaughtError', () => {
  it('takes the message out of the Lambda error JSON that Step Functions puts in Cause', () => {
    const cause = JSON.stringify({
      errorType: 'PrintifyRejected',
      errorMessage: 'Printify rejected the order: 400 address_to.zip is invalid',
      trace: ['PrintifyRejected: Printify rejected the order', '    at createPrintifyOrder (/var/task/index.js:1:2)'],
    });
    expect(describeCaughtError({ Error: 'PrintifyRejected', Cause: cause })).toBe(
      'PrintifyRejected: Printify rejected the order: 400 address_to.zip is invalid',
    );
  });

  it('keeps a plain-text cause as it is', () => {
    expect(describeCaughtError({ Error: 'States.Timeout', Cause: 'Task timed out after 30.00 seconds' })).toBe(
      'States.Timeout: Task timed out after 30.00 seconds',
    );
  });

  it('keeps a JSON cause that has no errorMessage whole', () => {
    expect(describeCaughtError({ Error: 'Lambda.Unknown', Cause: '{"reason":"out of memory"}' })).toBe(
      'Lambda.Unknown: {"reason":"out of memory"}',
    );
  });

  it.each(['null', '42', '"just a string"', '[]', 'true'])('does not throw on a JSON cause that is not an object (%s)', (cause) => {
    expect(describeCaughtError({ Error: 'X', Cause: cause })).toBe(`X: ${cause}`);
  });

  it('says "unknown error" when nothing was caught', () => {
    expect(describeCaughtError(undefined)).toBe('unknown error');
  });

  it('names the error "Error" when Step Functions gave no type', () => {
    expect(describeCaughtError({ Cause: 'boom' })).toBe('Error: boom');
  });

  it('keeps the error type when there is no cause', () => {
    expect(describeCaughtError({ Error: 'States.Runtime' })).toMatch(/^States\.Runtime/);
  });

  it('is capped at 2000 characters so that it fits on the order item', () => {
    const long = 'x'.repeat(5000);
    const described = describeCaughtError({ Error: 'TransientError', Cause: JSON.stringify({ errorMessage: long }) });
    expect(described).toHaveLength(2000);
    expect(described.startsWith('TransientError: xxx')).toBe(true);
  });
});

describe('toPrintifyAddress', () => {
  const full: ShippingAddress = {
    name: 'Aiko Tanaka',
    line1: '1 Sakura Way',
    line2: 'Apt 4',
    city: 'Portland',
    state: 'OR',
    postalCode: '97201',
    country: 'US',
    phone: '+15035550100',
  };

  it("maps every field to Printify's names", () => {
    expect(toPrintifyAddress(full, 'aiko@example.com')).toStrictEqual({
      first_name: 'Aiko',
      last_name: 'Tanaka',
      email: 'aiko@example.com',
      phone: '+15035550100',
      country: 'US',
      region: 'OR',
      address1: '1 Sakura Way',
      address2: 'Apt 4',
      city: 'Portland',
      zip: '97201',
    });
  });

  it('leaves absent optional fields out entirely (no undefined keys in the request)', () => {
    const address = toPrintifyAddress({ name: 'Aiko Tanaka', line1: '1 Sakura Way', city: 'Portland', postalCode: '97201', country: 'US' });
    expect(address).toStrictEqual({
      first_name: 'Aiko',
      last_name: 'Tanaka',
      country: 'US',
      address1: '1 Sakura Way',
      city: 'Portland',
      zip: '97201',
    });
  });

  it('leaves out an empty email', () => {
    expect(toPrintifyAddress(full, '')).not.toHaveProperty('email');
  });

  it.each([
    ['Mary Jane Watson', 'Mary Jane', 'Watson'],
    ['  Aiko   Tanaka  ', 'Aiko', 'Tanaka'],
    ['Madonna', 'Madonna', '-'],
    ['', 'Customer', '-'],
    ['   ', 'Customer', '-'],
    ['Tanaka\tAiko', 'Tanaka', 'Aiko'],
  ])('splits %j into first %j and last %j (both always non-empty)', (name, first, last) => {
    const address = toPrintifyAddress({ ...full, name });
    expect({ first: address.first_name, last: address.last_name }).toEqual({ first, last });
  });
});
