from r2tui.store.migrations import LATEST, current_version


def test_sqlite_store_is_migrated(store):
    assert current_version(store.db) == LATEST


def test_pg_store_is_migrated(pg_url):
    from r2tui.store import open_store

    s = open_store(pg_url)
    try:
        assert current_version(s.db) == LATEST
        assert "sample" in s.db.get_tables()
    finally:
        s.close()


def test_moto_backend_seeds(s3_backend, moto_endpoint):
    import boto3

    s3_backend.create_bucket("seeded", region_name="us-east-1")
    s3_backend.put_object("seeded", "a.txt", b"x")
    c = boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id="a",
        aws_secret_access_key="b",
    )
    assert [o["Key"] for o in c.list_objects_v2(Bucket="seeded")["Contents"]] == ["a.txt"]
