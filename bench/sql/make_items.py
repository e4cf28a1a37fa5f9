"""Write benchmark items: realistic text-to-SQL questions on the make_db.py shop, each with a
gold query and a group of rollouts cycling through correct and wrong predictions.

Usage: python3 make_items.py DB.sqlite [ROLLOUTS] > items.jsonl
Each line is an Assay item: {"id", "data_source", "group", "prompt", "response", "reference"}.
"""

import json
import sys

# (question, gold, predictions); predictions mix equivalent rewrites and plausible mistakes.
QUESTIONS = [
    ("How many customers live in London?",
     "SELECT count(*) FROM customers WHERE city = 'London'",
     ["SELECT COUNT(id) FROM customers WHERE city = 'London'",
      "SELECT count(*) FROM customers WHERE country = 'UK'",
      "SELECT count(*) FROM customers WHERE city LIKE 'l%'"]),
    ("Top 5 products by revenue, with the revenue.",
     "SELECT p.title, round(sum(oi.qty * oi.unit_price), 2) AS revenue FROM order_items oi "
     "JOIN products p ON p.id = oi.product_id GROUP BY p.id ORDER BY revenue DESC LIMIT 5",
     ["SELECT products.title, ROUND(SUM(order_items.qty * order_items.unit_price), 2) FROM products "
      "JOIN order_items ON order_items.product_id = products.id GROUP BY products.id "
      "ORDER BY 2 DESC LIMIT 5",
      "SELECT p.title, round(sum(oi.qty), 2) AS revenue FROM order_items oi JOIN products p "
      "ON p.id = oi.product_id GROUP BY p.id ORDER BY revenue DESC LIMIT 5",
      "SELECT title, price FROM products ORDER BY price DESC LIMIT 5"]),
    ("Average order total per country.",
     "SELECT c.country, avg(o.total) FROM orders o JOIN customers c ON c.id = o.customer_id "
     "GROUP BY c.country",
     ["SELECT country, SUM(total) / COUNT(*) FROM customers JOIN orders ON orders.customer_id = "
      "customers.id GROUP BY country",
      "SELECT c.country, avg(o.total) FROM orders o JOIN customers c ON c.id = o.customer_id "
      "WHERE o.status = 'delivered' GROUP BY c.country",
      "SELECT country, avg(total) FROM orders JOIN customers ON customers.id = orders.id "
      "GROUP BY country"]),
    ("How many orders were cancelled in 2023?",
     "SELECT count(*) FROM orders WHERE status = 'cancelled' AND order_date LIKE '2023%'",
     ["SELECT COUNT(*) FROM orders WHERE status = 'cancelled' AND substr(order_date, 1, 4) = '2023'",
      "SELECT count(*) FROM orders WHERE status = 'cancelled' AND order_date > '2023'",
      "SELECT count(*) FROM orders WHERE order_date LIKE '2023%'"]),
    ("Which customers placed more than 14 orders?",
     "SELECT customer_id FROM orders GROUP BY customer_id HAVING count(*) > 14",
     ["SELECT c.id FROM customers c JOIN orders o ON o.customer_id = c.id GROUP BY c.id "
      "HAVING COUNT(o.id) > 14",
      "SELECT customer_id FROM orders GROUP BY customer_id HAVING count(*) >= 14",
      "SELECT customer_id FROM orders WHERE total > 14"]),
    ("Average review rating per product category.",
     "SELECT p.category, avg(r.rating) FROM reviews r JOIN products p ON p.id = r.product_id "
     "GROUP BY p.category",
     ["SELECT category, AVG(rating) FROM products JOIN reviews ON reviews.product_id = products.id "
      "GROUP BY category",
      "SELECT p.category, avg(r.rating) FROM reviews r JOIN products p ON p.id = r.customer_id "
      "GROUP BY p.category",
      "DROP TABLE reviews"]),
    ("Which category sold the most units?",
     "SELECT p.category FROM order_items oi JOIN products p ON p.id = oi.product_id "
     "GROUP BY p.category ORDER BY sum(oi.qty) DESC LIMIT 1",
     ["SELECT category FROM (SELECT p.category, SUM(qty) AS units FROM order_items JOIN products p "
      "ON p.id = order_items.product_id GROUP BY p.category) ORDER BY units DESC LIMIT 1",
      "SELECT p.category FROM order_items oi JOIN products p ON p.id = oi.product_id "
      "GROUP BY p.category ORDER BY count(*) ASC LIMIT 1",
      "SELECT category FROM products GROUP BY category ORDER BY sum(stock) DESC LIMIT 1"]),
    ("Products that were never reviewed.",
     "SELECT id FROM products WHERE id NOT IN (SELECT product_id FROM reviews)",
     ["SELECT p.id FROM products p LEFT JOIN reviews r ON r.product_id = p.id WHERE r.id IS NULL",
      "SELECT p.id FROM products p JOIN reviews r ON r.product_id = p.id WHERE r.rating IS NULL",
      "SELECT id FROM products WHERE stock = 0"]),
    ("Revenue per month in 2024.",
     "SELECT substr(order_date, 1, 7) AS month, round(sum(total), 2) FROM orders "
     "WHERE order_date LIKE '2024%' GROUP BY month ORDER BY month",
     ["SELECT strftime('%Y-%m', order_date) AS m, ROUND(SUM(total), 2) FROM orders "
      "WHERE strftime('%Y', order_date) = '2024' GROUP BY m ORDER BY m",
      "SELECT substr(order_date, 1, 7) AS month, round(sum(total), 2) FROM orders "
      "WHERE order_date LIKE '2024%' AND status = 'delivered' GROUP BY month ORDER BY month",
      "SELECT substr(order_date, 6, 2) AS month, round(sum(total), 2) FROM orders "
      "GROUP BY month ORDER BY month"]),
    ("How many corporate customers signed up in 2020?",
     "SELECT count(*) FROM customers WHERE segment = 'corporate' AND signup_year = 2020",
     ["SELECT COUNT(*) FROM customers WHERE signup_year = 2020 AND segment = 'corporate'",
      "SELECT count(*) FROM customers WHERE segment = 'Corporate' AND signup_year = 2020",
      "SELECT count(*) FROM customers WHERE segment = 'corporate' AND signup_year = '2020'"]),
    ("Largest order total for each status.",
     "SELECT status, max(total) FROM orders GROUP BY status",
     ["SELECT status, MAX(total) FROM orders GROUP BY 1",
      "SELECT status, max(total) FROM orders WHERE total < 1000 GROUP BY status",
      "SELECT status, total FROM orders ORDER BY total DESC LIMIT 4"]),
    ("Countries of customers who left a 1-star review.",
     "SELECT DISTINCT c.country FROM customers c JOIN reviews r ON r.customer_id = c.id "
     "WHERE r.rating = 1",
     ["SELECT country FROM customers WHERE id IN (SELECT customer_id FROM reviews WHERE rating = 1)",
      "SELECT DISTINCT c.country FROM customers c JOIN reviews r ON r.customer_id = c.id "
      "WHERE r.rating <= 2 AND c.city IS NOT NULL",
      "SELECT DISTINCT city FROM customers c JOIN reviews r ON r.customer_id = c.id "
      "WHERE r.rating = 1"]),
    ("Most expensive product in each category.",
     "SELECT category, title, price FROM (SELECT category, title, price, rank() OVER "
     "(PARTITION BY category ORDER BY price DESC) AS r FROM products) WHERE r = 1",
     ["SELECT p.category, p.title, p.price FROM products p WHERE p.price = "
      "(SELECT max(price) FROM products q WHERE q.category = p.category)",
      "SELECT category, title, max(price) FROM products GROUP BY title",
      "SELECT category, title, min(price) FROM products GROUP BY category"]),
    ("Total units in stock for electronics.",
     "SELECT sum(stock) FROM products WHERE category = 'electronics'",
     ["SELECT SUM(stock) FROM products WHERE category IN ('electronics')",
      "SELECT sum(stock) FROM products WHERE title LIKE 'electronics%'",
      "SELECT count(stock) FROM products WHERE category = 'electronics'"]),
    ("Among the first 10000 orders, which have more than 3 distinct products?",
     "SELECT order_id FROM order_items WHERE order_id <= 10000 GROUP BY order_id "
     "HAVING count(DISTINCT product_id) > 3",
     ["SELECT o.id FROM orders o JOIN order_items i ON i.order_id = o.id WHERE o.id <= 10000 "
      "GROUP BY o.id HAVING COUNT(DISTINCT i.product_id) > 3",
      "SELECT order_id FROM order_items WHERE order_id <= 10000 GROUP BY order_id "
      "HAVING count(product_id) > 3",
      "SELECT order_id FROM order_items WHERE qty > 3 AND order_id <= 10000"]),
    ("Share of orders that were delivered.",
     "SELECT avg(status = 'delivered') FROM orders",
     ["SELECT CAST(SUM(CASE WHEN status = 'delivered' THEN 1 ELSE 0 END) AS REAL) / COUNT(*) "
      "FROM orders",
      "SELECT SUM(status = 'delivered') / COUNT(*) FROM orders",
      "SELECT count(*) FROM orders WHERE status = 'delivered'"]),
]


def main(db: str, rollouts: int) -> None:
    for q, (question, gold, predictions) in enumerate(QUESTIONS):
        candidates = [gold] + predictions
        for r in range(rollouts):
            sql = candidates[(r + q) % len(candidates)]
            response = f"<think>{question}</think>\n```sql\n{sql}\n```"
            item = {"id": f"q{q}#{r}", "data_source": "sql-bench", "group": f"q{q}",
                    "prompt": question, "response": response,
                    "reference": {"db": db, "gold": gold}}
            print(json.dumps(item))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 16)
