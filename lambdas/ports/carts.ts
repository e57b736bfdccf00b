/** The customers' carts (pk USER#<userId>, sk CART#<productId>#<variantId>). */
export interface CartsPort {
  /**
   * Removes the line only if it has not changed after `notChangedAfter` (ISO; the checkout): a
   * line the customer added or changed after paying is their new intent and stays. Returns whether
   * it was removed (false also when there is no such line). Errors are the store failing (retry).
   */
  removeLineIfUnchangedSince(userId: string, productId: string, variantId: string, notChangedAfter: string): Promise<boolean>;
}
