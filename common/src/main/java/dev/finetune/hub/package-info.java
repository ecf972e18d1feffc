/**
 * The one Hugging Face Hub client ({@link dev.finetune.hub.HubClient}), on java.net.http, no Spark.
 *
 * <p>Public API: {@link dev.finetune.hub.HubSettings} (endpoint, token, cache, offline, retries; from HF_*
 * variables or a builder; serializable), {@link dev.finetune.hub.HubClient} ({@code listDatasetFiles},
 * {@code download(RemoteFile, OutputStream|Path)}, {@code downloadToCache}, {@code downloadModel},
 * {@code downloadAdapter}, {@code listFiles}, {@code resolveCommit}, {@code createRepo}, {@code push}),
 * the values {@link dev.finetune.hub.HubRepo}, {@link dev.finetune.hub.RemoteFile},
 * {@link dev.finetune.hub.DatasetFiles}, {@link dev.finetune.hub.RepoEntry},
 * {@link dev.finetune.hub.CommitResult}, {@link dev.finetune.hub.HfToken} (redacted toString) and
 * {@link dev.finetune.hub.HubAccessException} with its {@code Kind}.
 *
 * <p>Rules this package keeps (HF-FORMATS.md §1–3, §9): the token goes only to HF_ENDPOINT's scheme/host/port
 * (redirects are followed by hand and lose Authorization elsewhere; LFS uploads send only the headers the Hub
 * returned); 408/429/5xx and I/O errors are retried with backoff honouring Retry-After; downloads resume with
 * Range and are checked against size and sha256; the cache is huggingface_hub's layout
 * ({@code blobs/}, {@code snapshots/}, {@code refs/}) so Python tools share it; HF_HUB_OFFLINE=1 uses only it.
 * Logged URLs drop their query (pre-signed URLs carry credentials there).
 */
package dev.finetune.hub;
