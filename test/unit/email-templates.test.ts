import {
  escapeHtml,
  orderConfirmationEmail,
  paymentFailedEmail,
  refundEmail,
  type RenderedEmail,
} from '../../lambdas/domain/email-templates';
import type { Order } from '../../lambdas/domain/order';

const SCRIPT = '<script>alert(1)</script>';
const QUOTES = `"&'`;

function order(overrides: Partial<Order> = {}): Order {
  return {
    orderId: 'ord_123',
    userId: 'user_42',
    status: 'paid',
    currency: 'usd',
    amountTotal: 4999,
    email: 'aiko@example.com',
    customerName: 'Aiko Tanaka',
    items: [
      { productId: 'prod_tee', variantId: 'M', quantity: 2, unitAmount: 1999, title: 'Sakura T-shirt' },
      { productId: 'prod_sticker', variantId: 'std', quantity: 1, unitAmount: 1001 },
    ],
    createdAt: '2026-11-01T10:00:00.000Z',
    updatedAt: '2026-11-01T10:05:00.000Z',
    ...overrides,
  };
}

/** Every rendered email, for checks that hold for all of them. */
function allEmails(o: Order): [string, RenderedEmail][] {
  return [
    ['confirmation', orderConfirmationEmail(o, 49)],
    ['payment failed', paymentFailedEmail(o, 'Your card was declined.')],
    ['full refund', refundEmail(o, o.amountTotal, 49)],
    ['partial refund', refundEmail(o, 1000, 9)],
  ];
}

describe('escapeHtml', () => {
  it('escapes the five HTML-significant characters', () => {
    expect(escapeHtml(`<a href="x" title='y'>&amp;</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;');
  });

  it('leaves ordinary text (including non-ASCII) alone', () => {
    expect(escapeHtml('Tanaka Aiko — 田中 愛子 ¥500')).toBe('Tanaka Aiko — 田中 愛子 ¥500');
  });
});

describe('customer data in the HTML body', () => {
  it.each(allEmails(order({ customerName: SCRIPT })))('%s: a script in the customer name is escaped', (_name, email) => {
    expect(email.html).not.toContain('<script');
    expect(email.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it.each(allEmails(order({ customerName: QUOTES })))('%s: quotes and ampersands in the name are escaped', (_name, email) => {
    expect(email.html).toContain('Hi &quot;&amp;&#39;,');
    expect(email.html).not.toContain(QUOTES);
  });

  it('escapes an item title, an order id and a failure reason', () => {
    const o = order({
      orderId: 'ord_<b>1</b>',
      items: [{ productId: 'p', variantId: 'v', quantity: 1, unitAmount: 4999, title: `<img src=x onerror="alert(1)">` }],
    });
    const confirmation = orderConfirmationEmail(o, 0);
    expect(confirmation.html).not.toMatch(/<img|<b>/);
    expect(confirmation.html).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt; × 1');
    expect(confirmation.html).toContain('ord_&lt;b&gt;1&lt;/b&gt;');

    const failed = paymentFailedEmail(o, `<a href="https://evil.example">retry here</a>`);
    expect(failed.html).not.toContain('<a href');
    expect(failed.html).toContain('&lt;a href=&quot;https://evil.example&quot;&gt;retry here&lt;/a&gt;');
  });

  it('keeps the plain-text body unescaped (it is not HTML)', () => {
    expect(orderConfirmationEmail(order({ customerName: QUOTES }), 0).text).toContain(`Hi ${QUOTES},`);
  });
});

describe('the confirmation email', () => {
  it('says only what is true whatever Printify then does: the payment is in, an email follows when it ships', () => {
    const { text, html } = orderConfirmationEmail(order(), 49);
    expect(text).toContain('We have received your payment of');
    expect(text).toContain('we will email you when your items ship');
    for (const body of [text, html]) expect(body).not.toMatch(/print|production|on (its|their) way/i);
  });
});

describe('subjects', () => {
  const injected = order({ orderId: 'ord_123\r\nBcc: victim@example.com', customerName: 'Aiko\nTanaka' });

  it.each(allEmails(injected))('%s: has no line breaks even when the order id carries some', (_name, email) => {
    expect(email.subject).not.toMatch(/[\r\n]/);
    expect(email.subject).toContain('ord_123 Bcc: victim@example.com');
    expect(email.subject.startsWith('Otaku-mori: ')).toBe(true);
  });

  it.each(allEmails(injected))('%s: the greeting is one line', (_name, email) => {
    expect(email.text.split('\n')[0]).toBe('Hi Aiko Tanaka,');
  });

  it('names what happened', () => {
    expect(orderConfirmationEmail(order(), 0).subject).toBe('Otaku-mori: order ord_123 confirmed');
    expect(paymentFailedEmail(order(), 'x').subject).toBe('Otaku-mori: payment for order ord_123 failed');
    expect(refundEmail(order(), 100, 0).subject).toBe('Otaku-mori: refund for order ord_123');
  });
});

describe('bodies', () => {
  it.each(allEmails(order()))('%s: has a complete HTML document and a plain-text body', (_name, email) => {
    expect(email.html).toMatch(/^<!doctype html><html><body[^>]*>.*<\/body><\/html>$/s);
    expect(email.html).toContain('ord_123');
    expect(email.text).toContain('ord_123');
    expect(email.text).not.toMatch(/<\/?(p|h1|table|html)\b/);
    expect(email.text.trim().length).toBeGreaterThan(40);
    expect(email.text.endsWith('— Otaku-mori')).toBe(true);
  });

  it('greets by customer name, then by shipping name, then generically', () => {
    const shipping = { name: 'Ship Name', line1: 'l', city: 'c', postalCode: 'p', country: 'US' };
    expect(orderConfirmationEmail(order(), 0).text).toMatch(/^Hi Aiko Tanaka,/);
    expect(orderConfirmationEmail(order({ customerName: undefined, shippingAddress: shipping }), 0).text).toMatch(/^Hi Ship Name,/);
    expect(orderConfirmationEmail(order({ customerName: undefined }), 0).text).toMatch(/^Hi there,/);
  });
});

describe('order confirmation', () => {
  it('shows the formatted total and each line (quantity x unit price)', () => {
    const email = orderConfirmationEmail(order(), 49);
    expect(email.text).toContain('We have received your payment of $49.99');
    expect(email.text).toContain('Sakura T-shirt × 2: $39.98');
    expect(email.text).toContain('prod_sticker × 1: $10.01'); // no title: the product id
    expect(email.text).toContain('Total: $49.99');
    expect(email.html).toContain('<th align="left">Sakura T-shirt × 2</th><td>$39.98</td>');
    expect(email.html).toContain('<th align="left">Total</th><td>$49.99</td>');
  });

  it('formats a zero-decimal currency without a fraction', () => {
    const email = orderConfirmationEmail(
      order({
        currency: 'jpy',
        amountTotal: 5000,
        items: [{ productId: 'p', variantId: 'v', quantity: 2, unitAmount: 2500, title: 'Poster' }],
      }),
      0,
    );
    expect(email.text).toContain('payment of ¥5,000');
    expect(email.text).toContain('Poster × 2: ¥5,000');
  });

  it('mentions petals only when some were earned', () => {
    expect(orderConfirmationEmail(order(), 49).text).toContain('You earned 49 petals with this order.');
    expect(orderConfirmationEmail(order(), 49).html).toContain('<p>You earned 49 petals with this order.</p>');
    for (const petals of [0, -3]) {
      const email = orderConfirmationEmail(order(), petals);
      expect(email.text).not.toMatch(/petal/i);
      expect(email.html).not.toMatch(/petal/i);
    }
  });
});

describe('payment failed', () => {
  it('gives the reason on one line and says nothing was charged', () => {
    const email = paymentFailedEmail(order(), 'Your card has\r\ninsufficient funds.');
    expect(email.text).toContain('your payment for order ord_123 did not go through: Your card has insufficient funds.');
    expect(email.text).toContain('Nothing was charged.');
    expect(email.html).toContain('Your card has insufficient funds.');
  });
});

describe('refund', () => {
  it('says "fully refunded" with the amount when the whole total was refunded', () => {
    const email = refundEmail(order(), 4999, 49);
    expect(email.text).toContain('your order ord_123 has been fully refunded ($49.99).');
    expect(email.text).not.toContain('so far');
    expect(email.text).toContain('49 petals earned with this order have been deducted.');
  });

  it('treats more than the total as a full refund', () => {
    expect(refundEmail(order(), 6000, 49).text).toContain('has been fully refunded ($60.00)');
  });

  it('says how much was refunded "so far" for a partial refund', () => {
    const email = refundEmail(order(), 2000, 19);
    expect(email.text).toContain('we have refunded $20.00 of your order ord_123 so far.');
    expect(email.text).not.toContain('fully refunded');
    expect(email.html).toContain('we have refunded $20.00 of your order ord_123 so far.');
    expect(email.text).toContain('19 petals earned with this order have been deducted.');
  });

  it('mentions petals only when some were deducted', () => {
    const email = refundEmail(order(), 50, 0);
    expect(email.text).not.toMatch(/petal/i);
    expect(email.html).not.toMatch(/petal/i);
  });
});
