#!/usr/bin/env python3
"""Drives `nascfg serve`'s TrueNAS-compatible API with PyPI's pytruenas 0.7.1,
a TrueNAS client no one here wrote, as its README shows it used: connect with
an API key, then query (filters and get), create, update, verify and delete
cloud credentials. Run by tests/it/api.rs, which starts the server and
compares the last line printed (a JSON report) with `nascfg cred list/show`.

Environment: NASCFG_API_URL (ws://127.0.0.1:PORT/api/current), NASCFG_API_KEY,
S3_ENDPOINT, S3_KEY, S3_SECRET (an s3s-fs server on loopback).
"""

import json
import os
import sys

import pytruenas
from pytruenas import TrueNASClient
from pytruenas.exceptions import ValidationErrors

assert pytruenas.__version__ == "0.7.1", pytruenas.__version__

env = os.environ
client = TrueNASClient(env["NASCFG_API_URL"], credentials=env["NASCFG_API_KEY"], verify=False)
creds = client.api.cloudsync.credentials

assert client.api.core.ping() == "pong"
assert creds.query() == []

s3 = creds.create({
    "name": "pyt-s3",
    "provider": {
        "type": "S3",
        "access_key_id": env["S3_KEY"],
        "secret_access_key": env["S3_SECRET"],
        "endpoint": env["S3_ENDPOINT"],
    },
})
b2 = creds.create({
    "name": "pyt-b2",
    "provider": {"type": "B2", "account": "0012345abcdef", "key": "K001secretkeyvalue"},
})
assert s3["provider"]["secret_access_key"] == env["S3_SECRET"], s3

# Validation errors come back as pytruenas's ValidationErrors, every problem listed.
try:
    creds.create({"name": "pyt-bad", "provider": {"type": "SFTP", "host": "h", "port": 0}})
    raise AssertionError("an invalid credential was accepted")
except ValidationErrors as e:
    attributes = sorted(a for a, _, _ in e.errors)
    assert "cloud_sync_credentials_create.provider.port" in attributes, e.errors
    assert "cloud_sync_credentials_create.provider.user" in attributes, e.errors

# Query with filters, options and `get`; pytruenas's own helpers.
found = creds.query([["provider.type", "=", "B2"]])
assert [c["name"] for c in found] == ["pyt-b2"], found
one = creds.query([["name", "=", "pyt-s3"]], {"get": True})
assert one["id"] == s3["id"], one
assert creds._get(name="pyt-b2")["id"] == b2["id"]
assert creds._get(b2["id"])["name"] == "pyt-b2"
assert creds._get(9999) is None
ordered = creds.query([], {"order_by": ["-name"], "select": ["name"]})
assert ordered == [{"name": "pyt-s3"}, {"name": "pyt-b2"}], ordered
assert creds.query([], {"count": True}) == 2

# Update, then verify the S3 credential against the server.
updated = creds.update(b2["id"], {"provider": {"key": "K001newsecretvalue"}})
assert updated["provider"]["key"] == "K001newsecretvalue", updated
verify = creds.verify({
    "type": "S3",
    "access_key_id": env["S3_KEY"],
    "secret_access_key": env["S3_SECRET"],
    "endpoint": env["S3_ENDPOINT"],
})
deleted = creds.delete(s3["id"])
assert creds.query([["id", "=", s3["id"]]]) == []

final = [{"id": c["id"], "name": c["name"], "type": c["provider"]["type"]}
         for c in creds.query([], {"order_by": ["name"]})]
client.close()
print(json.dumps({
    "final": final,
    "b2": updated,
    "verify": verify,
    "deleted": deleted,
}))
sys.exit(0)
