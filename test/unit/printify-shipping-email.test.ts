import { shippingEmail } from '../../lambdas/domain/email-templates';
import type { Order } from '../../lambdas/domain/order';

const order: Order = {
  orderId: 'ord_ship1',
  userId: 'u1',
  status: 'shipped',
  currency: 'usd',
  amountTotal: 4999,
  email: 'sakura@example.com',
  items: [{ productId: 'prod_sakura_hoodie', variantId: 'M', quantity: 1, unitAmount: 4999, title: 'Sakura <Spirit> Hoodie' }],
  shippingAddress: { name: 'Sakura Haruno', line1: '1', city: 'Portland', postalCode: '97201', country: 'US' },
  createdAt: '2026-11-26T00:00:00.000Z',
  updatedAt: '2026-11-26T00:00:00.000Z',
};

describe('the shipping email', () => {
  it('names the order, the carrier and the tracking number, and links the tracking page', () => {
    const email = shippingEmail(order, {
      carrier: 'USPS',
      trackingNumber: '9400110200828911663274',
      trackingUrl: 'https://tools.usps.com/go/TrackConfirmAction?tLabels=9400110200828911663274',
    });
    expect(email.subject).toBe('Otaku-mori: order ord_ship1 has shipped');
    expect(email.html).toContain(
      '<a href="https://tools.usps.com/go/TrackConfirmAction?tLabels=9400110200828911663274">Track your parcel</a>',
    );
    expect(email.html).toContain('Sakura &lt;Spirit&gt; Hoodie');
    expect(email.text).toContain('USPS');
    expect(email.text).toContain('Tracking number: 9400110200828911663274');
    expect(email.text).toContain('Track it: https://tools.usps.com/go/TrackConfirmAction?tLabels=9400110200828911663274');
  });

  it('never links anything but http(s), and escapes what Printify sends', () => {
    const email = shippingEmail(order, {
      carrier: 'Evil"><script>',
      trackingNumber: 'X\r\nBcc: a@b.c',
      trackingUrl: 'javascript:alert(1)',
    });
    expect(email.html).not.toContain('javascript:');
    expect(email.html).not.toContain('<script>');
    expect(email.text).not.toContain('\r\nBcc');
    expect(email.subject).not.toMatch(/[\r\n]/);
  });
});
