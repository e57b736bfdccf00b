import { createHmac } from 'node:crypto';
import Stripe from 'stripe';
import { InvalidPayloadError, InvalidSignatureError, StripeSignatureVerifier } from '../../lambdas/adapters/stripe-signature';

const OLD = 'whsec_old_secret';
const NEW = 'whsec_new_secret';
const NOW = 1_800_000_000;
const body = Buffer.from(JSON.stringify({ id: 'evt_1', object: 'event', type: 'checkout.session.completed' }, null, 2));
const hmac = (secret: string, t: number | string, payload: Buffer = body) =>
  createHmac('sha256', secret)
    .update(`${t}.${payload.toString('utf8')}`)
    .digest('hex');
const verifier = (secret: string) => new StripeSignatureVerifier(secret, 300, () => NOW);

describe("StripeSignatureVerifier (Stripe's scheme on node:crypto)", () => {
  it("accepts the header Stripe's own library makes, and returns the parsed event", () => {
    const header = Stripe.webhooks.generateTestHeaderString({ payload: body.toString(), secret: OLD, timestamp: NOW - 10 });
    expect(verifier(OLD).verify(body, header)).toMatchObject({ id: 'evt_1' });
  });

  it('keeps working while Stripe rolls the secret: two v1 signatures, either secret verifies', () => {
    const header = `t=${NOW},v1=${hmac(NEW, NOW)},v1=${hmac(OLD, NOW)}`;
    expect(verifier(OLD).verify(body, header)).toMatchObject({ id: 'evt_1' });
    expect(verifier(NEW).verify(body, header)).toMatchObject({ id: 'evt_1' });
    expect(() => verifier('whsec_other').verify(body, header)).toThrow('No signatures found matching the expected signature for payload');
  });

  it('ignores other schemes (v0) and signatures that are not 64 hex digits', () => {
    expect(() => verifier(OLD).verify(body, `t=${NOW},v0=${hmac(OLD, NOW)}`)).toThrow('No signatures found with expected scheme');
    expect(() => verifier(OLD).verify(body, `t=${NOW},v1=${hmac(OLD, NOW).slice(0, 62)}`)).toThrow(/No signatures found matching/);
    expect(() => verifier(OLD).verify(body, `t=${NOW},v1=${'zz'.repeat(32)}`)).toThrow(/No signatures found matching/);
  });

  it('refuses a header with several timestamps (a future-dated signature hidden behind a current t)', () => {
    const future = NOW + 3600;
    const header = `t=${NOW},t=${future},v1=${hmac(OLD, future)}`;
    expect(() => verifier(OLD).verify(body, header)).toThrow(InvalidSignatureError);
    expect(() => verifier(OLD).verify(body, header)).toThrow(/more than one timestamp/);
  });

  it.each([
    ['five minutes and a second old (a replay)', NOW - 301, /tolerance/],
    ['five minutes and a second ahead', NOW + 301, /tolerance zone \(in the future\)/],
  ])('refuses a signature %s', (_what, t, message) => {
    expect(() => verifier(OLD).verify(body, `t=${t},v1=${hmac(OLD, t)}`)).toThrow(message);
  });

  it.each([
    ['exactly five minutes old', NOW - 300],
    ['exactly five minutes ahead', NOW + 300],
  ])('accepts a signature %s', (_what, t) => {
    expect(verifier(OLD).verify(body, `t=${t},v1=${hmac(OLD, t)}`)).toMatchObject({ id: 'evt_1' });
  });

  it.each([
    ['missing', undefined, /missing Stripe-Signature/],
    ['garbage', 'garbage', /Unable to extract timestamp/],
    ['a timestamp that is not a number', `t=yesterday,v1=${hmac(OLD, 'yesterday')}`, /Unable to extract timestamp/],
    ['no timestamp', `v1=${hmac(OLD, NOW)}`, /Unable to extract timestamp/],
  ])('refuses a header that is %s', (_what, header, message) => {
    expect(() => verifier(OLD).verify(body, header)).toThrow(message);
  });

  it('refuses a body changed after signing', () => {
    const changed = Buffer.from(body.toString().replace('evt_1', 'evt_2'));
    expect(() => verifier(OLD).verify(changed, `t=${NOW},v1=${hmac(OLD, NOW)}`)).toThrow(/No signatures found matching/);
  });

  it('says a verified body that is not JSON is a bad payload', () => {
    const text = Buffer.from('id=evt_1');
    expect(() => verifier(OLD).verify(text, `t=${NOW},v1=${hmac(OLD, NOW, text)}`)).toThrow(InvalidPayloadError);
  });
});
