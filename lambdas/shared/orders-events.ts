/** Event types the `orders` action reads. */
export const OrderEventType = { StatusChanged: 'order.status-changed' } as const;
