/**
 * The one Hugging Face Hub client ({@link dev.finetune.hub.HubClient}), on java.net.http, no Spark.
 *
 * <p>Public API:
 * <ul>
 *   <li>{@link dev.finetune.hub.HubSettings}: endpoint, token, cache dir, offline, {@link dev.finetune.hub.RetryPolicy},
 *       timeouts; {@code fromEnvironment()} reads HF_ENDPOINT, HF_TOKEN / HUGGING_FACE_HUB_TOKEN / $HF_HOME/token,
 *       HF_HOME, HF_HUB_CACHE, HF_HUB_OFFLINE, HF_HUB_DISABLE_SYMLINKS like huggingface_hub. Serializable: build it on
 *       the driver, ship it to executors, {@code HubClient.shared(settings)} there (one client per JVM).</li>
 *   <li>{@link dev.finetune.hub.HubClient}: {@code listDatasetFiles(repo, revision, config, split)} →
 *       {@link dev.finetune.hub.DatasetFiles} (parquet export on refs/convert/parquet, else the repo's own
 *       parquet/jsonl/json files; {@code partial()} flags a partial export); {@code download(RemoteFile,
 *       OutputStream|Path)} for one file from any JVM (resumes, verifies, bypasses the cache);
 *       {@code downloadToCache}, {@code downloadModel}, {@code downloadAdapter} (into the shared cache, return
 *       {@code snapshots/<commit>}); {@code listFiles}, {@code resolveCommit}; {@code createRepo}, {@code push}
 *       → {@link dev.finetune.hub.CommitResult}.</li>
 *   <li>Values: {@link dev.finetune.hub.HubRepo}, {@link dev.finetune.hub.RemoteFile} (serializable),
 *       {@link dev.finetune.hub.RepoEntry}, {@link dev.finetune.hub.HfToken} (redacted toString).</li>
 *   <li>Errors: {@link dev.finetune.hub.HubAccessException} with a {@code Kind} (UNAUTHORIZED, GATED,
 *       REPO_/REVISION_/ENTRY_NOT_FOUND, FORBIDDEN, RATE_LIMITED, UNAVAILABLE, OFFLINE_NOT_CACHED, INTEGRITY, ...) and a
 *       message saying what to do. It is an IOException.</li>
 * </ul>
 *
 * <p>Rules kept here (docs/formats.md, "The Hugging Face Hub"):
 * <ul>
 *   <li>The token goes only to HF_ENDPOINT's scheme/host/port: redirects are followed by hand and lose
 *       Authorization on any other host; LFS uploads send only the headers the Hub's batch answer gives.
 *       Logged URLs drop their query string (pre-signed URLs carry credentials there); messages never hold the
 *       token.</li>
 *   <li>408/429/5xx and I/O errors are retried with exponential backoff and jitter, honouring Retry-After; the
 *       commit POST only on 429 (a lost answer to a processed commit must not be replayed).</li>
 *   <li>GETs are always ranged with identity encoding; a dropped or silent connection (no data for the request
 *       timeout) resumes with {@code Range: bytes=<have>-}; size and sha256 (LFS) are verified.</li>
 *   <li>The cache is huggingface_hub's layout ({@code blobs/<etag>}, {@code snapshots/<commit>/<path>} as
 *       relative symlinks or copies, {@code refs/<revision>}, {@code .locks/}), so Python tools share it; one
 *       blob is fetched once even by concurrent processes; HF_HUB_OFFLINE=1 uses only the cache.</li>
 * </ul>
 *
 * <p>Tests: {@code FakeHub} in common's test-jar is a loopback Hub (datasets, models, push, faults) that other
 * modules' tests can use ({@code <type>test-jar</type>}, scope test).
 */
package dev.finetune.hub;
