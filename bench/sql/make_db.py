"""Build the benchmark database: a shop with ~490k rows across five tables.

Usage: python3 make_db.py OUT.sqlite
Deterministic (fixed seed), so every run grades the same data.
"""

import os
import random
import sqlite3
import sys

CUSTOMERS = 20_000
PRODUCTS = 2_000
ORDERS = 120_000
ITEMS = 300_000
REVIEWS = 50_000

CITIES = [("London", "UK"), ("Leeds", "UK"), ("Paris", "France"), ("Lyon", "France"),
          ("Berlin", "Germany"), ("Munich", "Germany"), ("Madrid", "Spain"), ("Rome", "Italy"),
          ("New York", "USA"), ("Austin", "USA"), ("Toronto", "Canada"), ("Tokyo", "Japan")]
SEGMENTS = ["consumer", "corporate", "home office"]
CATEGORIES = ["books", "garden", "kitchen", "toys", "electronics", "sports", "music", "office"]
STATUSES = ["delivered"] * 8 + ["shipped", "cancelled", "returned"]


def main(path: str) -> None:
    if os.path.exists(path):
        os.remove(path)
    rng = random.Random(7)
    db = sqlite3.connect(path)
    db.executescript(
        """
        CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, city TEXT,
                                country TEXT, segment TEXT, signup_year INTEGER);
        CREATE TABLE products (id INTEGER PRIMARY KEY, title TEXT, category TEXT,
                               price REAL, stock INTEGER);
        CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id),
                             order_date TEXT, status TEXT, total REAL);
        CREATE TABLE order_items (order_id INTEGER REFERENCES orders(id),
                                  product_id INTEGER REFERENCES products(id),
                                  qty INTEGER, unit_price REAL);
        CREATE TABLE reviews (id INTEGER PRIMARY KEY, product_id INTEGER REFERENCES products(id),
                              customer_id INTEGER REFERENCES customers(id), rating INTEGER,
                              created TEXT);
        """
    )
    customers = []
    for i in range(1, CUSTOMERS + 1):
        city, country = rng.choice(CITIES)
        city = None if rng.random() < 0.02 else city
        customers.append((i, f"customer {i:05d}", city, country, rng.choice(SEGMENTS),
                          rng.randint(2015, 2024)))
    db.executemany("INSERT INTO customers VALUES (?,?,?,?,?,?)", customers)
    products = [(i, f"{rng.choice(CATEGORIES)} item {i}", rng.choice(CATEGORIES),
                 round(rng.uniform(1, 500), 2), rng.randint(0, 1000)) for i in range(1, PRODUCTS + 1)]
    db.executemany("INSERT INTO products VALUES (?,?,?,?,?)", products)
    orders = []
    for i in range(1, ORDERS + 1):
        date = f"{rng.randint(2019, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        orders.append((i, rng.randint(1, CUSTOMERS), date, rng.choice(STATUSES), 0.0))
    db.executemany("INSERT INTO orders VALUES (?,?,?,?,?)", orders)
    items = []
    for _ in range(ITEMS):
        product = rng.randint(1, PRODUCTS)
        items.append((rng.randint(1, ORDERS), product, rng.randint(1, 5), products[product - 1][3]))
    db.executemany("INSERT INTO order_items VALUES (?,?,?,?)", items)
    db.execute("CREATE INDEX items_order ON order_items(order_id)")
    db.execute("UPDATE orders SET total = (SELECT round(coalesce(sum(qty * unit_price), 0), 2) "
               "FROM order_items WHERE order_id = orders.id)")
    reviews = [(i, rng.randint(1, PRODUCTS), rng.randint(1, CUSTOMERS), rng.randint(1, 5),
                f"{rng.randint(2019, 2024)}-{rng.randint(1, 12):02d}-01") for i in range(1, REVIEWS + 1)]
    db.executemany("INSERT INTO reviews VALUES (?,?,?,?,?)", reviews)
    db.executescript(
        """
        CREATE INDEX orders_customer ON orders(customer_id);
        CREATE INDEX items_product ON order_items(product_id);
        CREATE INDEX reviews_product ON reviews(product_id);
        """
    )
    db.commit()
    total = sum(db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ["customers", "products", "orders", "order_items", "reviews"])
    db.close()
    print(f"{path}: {total} rows, {os.path.getsize(path) // 1024} KiB", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1])
