-- Peer for the simulator's load mode: one order the way a row-at-a-time generator writes it
-- (the original's Python generator did): INSERT the order, INSERT its lines, then one UPDATE
-- per lifecycle step, each statement its own transaction. pgbench counts one run per order.
\set cust random(1, 5000)
\set rest random(1, 200)
\set item random(1, 2000)
INSERT INTO orders (id, customer_id, restaurant_id, city_id, status, placed_at, items_count, subtotal,
    delivery_fee, total, distance_km, promised_minutes, is_promo, drop_lat, drop_lon)
SELECT nextval('bench_ids'), :cust, r.id, r.city_id, 'placed', now(), 2, 20.000, 3.000, 23.000, 2.5, 35, false,
    r.lat, r.lon
FROM restaurants r WHERE r.id = :rest
RETURNING id AS order_id \gset
INSERT INTO order_items (id, order_id, menu_item_id, qty, unit_price)
VALUES (nextval('bench_ids'), :order_id, :item, 1, 10.000), (nextval('bench_ids'), :order_id, :item, 1, 10.000);
UPDATE orders SET status = 'accepted', accepted_at = now() WHERE id = :order_id;
UPDATE orders SET status = 'picked_up', picked_up_at = now(), courier_id = 1 WHERE id = :order_id;
UPDATE orders SET status = 'delivered', delivered_at = now() WHERE id = :order_id;
