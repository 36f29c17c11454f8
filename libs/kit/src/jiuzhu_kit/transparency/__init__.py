"""Public chain heads (transparency): Certificate Transparency's idea applied to the audit chains.

Each aggregate's audit chain (jiuzhu_kit.audit) proves tampering within one history, but whoever
controls the database can rewrite a whole chain. So each service publishes signed heads over all
its chains, which anyone may keep; a chain rewritten after a head was published no longer matches
it.

What the tree is over (the choice the issue asked for). Not "each aggregate's latest hash": an
aggregate gaining an event would change a leaf, and two heads could not be proved consistent. The
log is instead an append-only list of entries, one per audit event, `(aggregate type, aggregate
id, revision, chain hash after it)`, in the order the publisher appended them; the tree is the RFC
6962 / 9162 Merkle tree over those entries (merkle.py), so it only grows and RFC 6962 consistency
proofs apply between any two heads. An aggregate's latest hash is its newest entry; its inclusion
proof under a head is that entry's audit path.

Order: the publisher appends the audit events of ended transactions in the changes feed's order,
(transaction id, event id), below the feed's horizon (jiuzhu_kit.feed): every committed event
enters the log exactly once, and a transaction still running is appended by a later head.

Heads: `sequence` (1, 2, …), `tree_size`, `root_hash`, `timestamp` (ms since the epoch), signed
with Ed25519 (heads.py: the signed bytes; the key from `<SERVICE>_TRANSPARENCY_KEY`, derived from
the service's name in dev/test, required in prod). Published every
`JIUZHU_TRANSPARENCY_PUBLISH_SECONDS` when the log grew, by one replica (jiuzhu_kit.singleton's
Leader), and on demand (POST /transparency/heads, bureau or admin). Entries, nodes and heads are
append-only tables (a trigger refuses UPDATE and DELETE).

Modules: merkle.py (RFC 6962 hashing, proofs, verifiers), heads.py (signing and the client's
verifier), log.py (the tables and the publisher), api.py (the routes).
"""
