using Quetzal.Sdk.Core;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Quetzal.Sdk.Diagnostics;

namespace Quetzal.Sdk.Aws;

public enum FileChange { New, Changed, Unchanged, Deleted }

public sealed record PlannedFile(string Scenario, string Key, string? LocalPath, long Bytes, FileChange Change, DateTime LastWriteUtc = default);

public sealed record ScenarioPlan(string Scenario, IReadOnlyList<PlannedFile> Files)
{
    public int Count(FileChange change) => Files.Count(f => f.Change == change);
    public long BytesToUpload => Files.Where(f => f.Change is FileChange.New or FileChange.Changed).Sum(f => f.Bytes);
    public bool HasWrites => Files.Any(f => f.Change != FileChange.Unchanged);

    public string Summary => $"{Scenario}: {Count(FileChange.New)} new, {Count(FileChange.Changed)} changed, {Count(FileChange.Deleted)} to delete, "
        + $"{Count(FileChange.Unchanged)} unchanged ({Bytes.Format(BytesToUpload)} to upload){Named()}";

    /// <summary>Which files: "changed inputs/params.json; new inputs/od/od.geojson" (the first few of each kind, then how many more).</summary>
    private string Named()
    {
        const int shown = 5;
        var parts = new List<string>();
        foreach (var (change, word) in new[] { (FileChange.Changed, "changed"), (FileChange.New, "new"), (FileChange.Deleted, "to delete") })
        {
            var keys = Files.Where(f => f.Change == change).Select(f => f.Key.StartsWith(Scenario + "/", StringComparison.Ordinal) ? f.Key[(Scenario.Length + 1)..] : f.Key).ToList();
            if (keys.Count == 0) continue;
            parts.Add($"{word} {string.Join(", ", keys.Take(shown))}{(keys.Count > shown ? $" and {keys.Count - shown} more" : "")}");
        }
        return parts.Count == 0 ? "" : ": " + string.Join("; ", parts);
    }
}

/// <summary>
/// Publishes scenario folders to the model's bucket: <c>scenarios/&lt;s&gt;/...</c> becomes <c>s3://bucket/&lt;s&gt;/...</c>.
/// Only files whose content differs are uploaded (the ETag S3 computes is compared with the same digest of the
/// local file, or with what <see cref="Digests"/> remembers of it), base first, files in parallel, large files in
/// parts. Pruning deletes only under a declared scenario's prefix, always with its trailing slash, so 'base' never
/// touches 'base 1', and there only in the folders the model folder owns (<see cref="Prunable"/>): what runs and the
/// app produced is never deleted.
/// </summary>
public sealed class ScenarioPublisher
{
    /// <summary>Files from this size go up in parts of <see cref="PartSize"/>; the local multipart ETag uses the same split.</summary>
    public const long MultipartThreshold = 64L << 20;
    public const long PartSize = 16L << 20;
    /// <summary>What Windows leaves in folders (dot-names such as macOS's .DS_Store are never listed: ModelFiles.Visible).</summary>
    private static readonly HashSet<string> Ignored = new(StringComparer.OrdinalIgnoreCase) { "Thumbs.db", "desktop.ini" };

    private readonly IAmazonS3 _s3;
    private readonly S3Profile _profile;
    private readonly IPublishLog _log;

    /// <param name="s3">The client (the caller's: not disposed here), configured for <paramref name="profile"/>.</param>
    public ScenarioPublisher(IAmazonS3 s3, S3Profile profile, IPublishLog log)
    {
        _s3 = s3;
        _profile = profile;
        _log = log;
    }

    public int Parallelism { get; init; } = 4;

    /// <summary>Who publishes: every object carries it as the user metadata Quenedi writes and shows (<c>user_email</c>).</summary>
    public string? UserEmail { get; init; }

    /// <summary>What earlier publishes learnt of the local files' contents; saved after planning and after uploading.</summary>
    public FileDigests Digests { get; init; } = FileDigests.None();

    /// <summary>Reads only: what a publish of these scenarios would write.</summary>
    public async Task<IReadOnlyList<ScenarioPlan>> PlanAsync(string bucket, string scenariosDirectory, IReadOnlyList<string> scenarios, bool prune, CancellationToken cancellation)
    {
        var plans = new List<ScenarioPlan>();
        foreach (var scenario in scenarios)
        {
            var folder = Path.Combine(scenariosDirectory, scenario);
            plans.Add(await PlanPrefixAsync(bucket, scenario, LocalFiles(folder).ToList(), prune ? LocalFolders(folder) : null, cancellation));
        }
        Digests.Save();
        return plans;
    }

    /// <summary>Reads only: what a publish of these files under <c>&lt;name&gt;/</c> would write (the model's _common/, say). Never prunes.</summary>
    public async Task<ScenarioPlan> PlanFilesAsync(string bucket, string name, IReadOnlyList<(string Path, string Relative)> files, CancellationToken cancellation)
    {
        var plan = await PlanPrefixAsync(bucket, name, files, null, cancellation);
        Digests.Save();
        return plan;
    }

    /// <param name="pruneFolders">The local folders pruning may delete in (see <see cref="Prunable"/>); null: no pruning.</param>
    private async Task<ScenarioPlan> PlanPrefixAsync(string bucket, string scenario, IReadOnlyList<(string Path, string Relative)> local, IReadOnlySet<string>? pruneFolders, CancellationToken cancellation)
    {
        // One form of Unicode for keys (NFC): a name typed on one machine and one named by macOS make one scenario, not two.
        var prefix = Model.Scenarios.Key(scenario) + "/";
        var remote = await ListAsync(bucket, prefix, cancellation);
        var files = new List<PlannedFile>();
        var digests = new PlannedFile[local.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, local.Count), new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellation }, async (i, token) =>
        {
            var (path, relative) = local[i];
            var key = prefix + Model.Scenarios.Key(relative);
            var info = new FileInfo(path);
            var (size, written) = (info.Length, info.LastWriteTimeUtc);
            var change = !remote.TryGetValue(key, out var existing) ? FileChange.New
                : existing.Size != size ? FileChange.Changed
                : Digests.Matches(path, size, written, existing.ETag) ?? (await Digests.ComputeAsync(path, size, written, token)).Contains(existing.ETag) ? FileChange.Unchanged
                : FileChange.Changed;
            digests[i] = new PlannedFile(scenario, key, path, size, change, written);
        });
        files.AddRange(digests);
        if (pruneFolders is not null)
        {
            var keep = files.Select(f => f.Key).ToHashSet(StringComparer.Ordinal);
            files.AddRange(remote.Where(r => !keep.Contains(r.Key) && Prunable(r.Key[prefix.Length..], pruneFolders)).OrderBy(r => r.Key, StringComparer.Ordinal)
                .Select(r => new PlannedFile(scenario, r.Key, null, r.Value.Size, FileChange.Deleted)));
        }
        return new ScenarioPlan(scenario, files);
    }

    /// <summary>Carries out the plans in order (base first); each scenario is complete before the next starts.</summary>
    public async Task ApplyAsync(string bucket, IReadOnlyList<ScenarioPlan> plans, CancellationToken cancellation)
    {
        try
        {
            await ApplyPlansAsync(bucket, plans, cancellation);
        }
        finally
        {
            // What was uploaded before a failure or cancellation is known too.
            Digests.Save();
        }
    }

    private async Task ApplyPlansAsync(string bucket, IReadOnlyList<ScenarioPlan> plans, CancellationToken cancellation)
    {
        foreach (var plan in plans)
        {
            var uploads = plan.Files.Where(f => f.Change is FileChange.New or FileChange.Changed).ToList();
            long done = 0;
            var count = 0;
            await Parallel.ForEachAsync(uploads, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellation }, async (file, token) =>
            {
                await UploadAsync(bucket, file, token);
                var total = Interlocked.Add(ref done, file.Bytes);
                var n = Interlocked.Increment(ref count);
                _log.Info($"  {plan.Scenario}: {n}/{uploads.Count} files, {Bytes.Format(total)}/{Bytes.Format(plan.BytesToUpload)} uploaded ({file.Key})");
            });
            var deletions = plan.Files.Where(f => f.Change == FileChange.Deleted).Select(f => f.Key).ToList();
            foreach (var batch in deletions.Chunk(1000))
            {
                await _s3.DeleteObjectsAsync(new DeleteObjectsRequest { BucketName = bucket, Objects = batch.Select(k => new KeyVersion { Key = k }).ToList() }, cancellation);
                foreach (var key in batch) _log.Info($"  {plan.Scenario}: deleted {key}");
            }
        }
    }

    private async Task<Dictionary<string, (long Size, string ETag)>> ListAsync(string bucket, string prefix, CancellationToken cancellation)
    {
        var result = new Dictionary<string, (long, string)>(StringComparer.Ordinal);
        var request = new ListObjectsV2Request { BucketName = bucket, Prefix = prefix };
        try
        {
            ListObjectsV2Response page;
            do
            {
                page = await _s3.ListObjectsV2Async(request, cancellation);
                foreach (var item in page.S3Objects ?? [])
                    result[item.Key] = (item.Size ?? 0, item.ETag.Trim('"'));
                request.ContinuationToken = page.NextContinuationToken;
            }
            while (page.IsTruncated == true);
        }
        catch (AmazonServiceException e) when (S3Clients.BucketMissing(e, bucket) is { } missing)
        {
            throw missing;
        }
        return result;
    }

    /// <summary>
    /// Uploads a file; an answer without an ETag (which S3 always returns for a stored object) does not confirm the
    /// upload: the file is sent again, up to <see cref="UploadAttempts"/> times.
    /// </summary>
    private async Task UploadAsync(string bucket, PlannedFile file, CancellationToken cancellation)
    {
        for (var attempt = 1; ; attempt++)
        {
            var start = DateTime.UtcNow;
            string? etag;
            // Quenedi's own metadata: the body's SHA-256 (its "no changes" check) and the writer (its "last modified by").
            var checksum = await Sha256Async(file.LocalPath!, cancellation);
            try
            {
                if (file.Bytes < MultipartThreshold)
                {
                    var put = new PutObjectRequest
                    {
                        BucketName = bucket, Key = file.Key, FilePath = file.LocalPath, ContentType = ContentType(file.Key),
                        UseChunkEncoding = _profile.ChunkedBodies,
                    };
                    AddMetadata(put.Metadata, checksum);
                    etag = (await _s3.PutObjectAsync(put, cancellation)).ETag;
                }
                else
                {
                    etag = await UploadInPartsAsync(bucket, file, checksum, cancellation);
                }
            }
            catch (AmazonServiceException e)
            {
                throw new QuetzalException(Codes.UploadFailed, file.LocalPath, bucket, file.Key, $"{e.ErrorCode}: {e.Message}");
            }
            if (!string.IsNullOrWhiteSpace(etag?.Trim('"')))
            {
                Digests.Uploaded(file.LocalPath!, file.Bytes, file.LastWriteUtc, start, etag.Trim('"'));
                return;
            }
            if (attempt >= UploadAttempts)
                throw new QuetzalException(Codes.UploadFailed, file.LocalPath, bucket, file.Key, $"the server answered {attempt} times without confirming the object (no ETag)");
            _log.Detail($"  {file.Key}: the answer confirmed no object (no ETag); sending it again");
        }
    }

    public int UploadAttempts { get; init; } = 3;

    /// <summary>Parts are uploaded, then completed; on any failure or cancellation the upload is aborted, so no partial object is ever visible.</summary>
    private async Task<string?> UploadInPartsAsync(string bucket, PlannedFile file, string checksum, CancellationToken cancellation)
    {
        var initiate = new InitiateMultipartUploadRequest { BucketName = bucket, Key = file.Key, ContentType = ContentType(file.Key) };
        AddMetadata(initiate.Metadata, checksum);
        var start = await _s3.InitiateMultipartUploadAsync(initiate, cancellation);
        try
        {
            var parts = new List<PartETag>();
            var number = 1;
            for (long offset = 0; offset < file.Bytes; offset += PartSize, number++)
            {
                var response = await _s3.UploadPartAsync(new UploadPartRequest
                {
                    BucketName = bucket, Key = file.Key, UploadId = start.UploadId, PartNumber = number,
                    FilePath = file.LocalPath, FilePosition = offset, PartSize = Math.Min(PartSize, file.Bytes - offset),
                    UseChunkEncoding = _profile.ChunkedBodies,
                }, cancellation);
                parts.Add(new PartETag(number, response.ETag));
            }
            return (await _s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = bucket, Key = file.Key, UploadId = start.UploadId, PartETags = parts }, cancellation)).ETag;
        }
        catch
        {
            try
            {
                await _s3.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = bucket, Key = file.Key, UploadId = start.UploadId }, CancellationToken.None);
            }
            catch (Exception abort) when (abort is AmazonServiceException or HttpRequestException)
            {
                // The first failure is the one to report; the parts stay invisible and S3 lifecycle rules expire them.
                _log.Detail($"  could not abort the upload of {file.Key} ({abort.Message})");
            }
            throw;
        }
    }

    /// <summary>The metadata keys Quenedi reads and writes on every object (x-amz-meta-checksum, x-amz-meta-user_email).</summary>
    public const string ChecksumMetadata = "checksum", UserEmailMetadata = "user_email";

    private void AddMetadata(MetadataCollection metadata, string checksum) => AddMetadata(metadata, checksum, UserEmail);

    /// <summary>Quenedi's metadata on an object: the body's lowercase hex SHA-256 and, when known, who wrote it.</summary>
    public static void AddMetadata(MetadataCollection metadata, string checksum, string? userEmail)
    {
        metadata.Add(ChecksumMetadata, checksum);
        if (!string.IsNullOrEmpty(userEmail)) metadata.Add(UserEmailMetadata, userEmail);
    }

    /// <summary>The lowercase hex SHA-256 of a file, as Quenedi's <c>checksum</c> metadata holds it.</summary>
    public static async Task<string> Sha256Async(string path, CancellationToken cancellation)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan | FileOptions.Asynchronous);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellation));
    }

    /// <summary>
    /// The ETags a server may give this file as this publisher uploads it: its MD5, and for a file sent in parts,
    /// AWS's MD5 of the parts' MD5s with the part count (S3-compatible servers such as s3rver keep the plain MD5).
    /// One pass over the file computes both.
    /// </summary>
    public static async Task<IReadOnlyList<string>> ETagsAsync(string path, long size, CancellationToken cancellation)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan | FileOptions.Asynchronous);
        if (size < MultipartThreshold)
            return [Convert.ToHexStringLower(await MD5.HashDataAsync(stream, cancellation))];
        using var whole = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        using var part = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        var partDigests = new List<byte>();
        var buffer = new byte[1 << 20];
        var parts = 0;
        for (long offset = 0; offset < size; offset += PartSize, parts++)
        {
            var remaining = Math.Min(PartSize, size - offset);
            while (remaining > 0)
            {
                var read = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, remaining)), cancellation);
                if (read == 0) break;
                whole.AppendData(buffer, 0, read);
                part.AppendData(buffer, 0, read);
                remaining -= read;
            }
            partDigests.AddRange(part.GetHashAndReset());
        }
        return [Convert.ToHexStringLower(whole.GetHashAndReset()), $"{Convert.ToHexStringLower(MD5.HashData(partDigests.ToArray()))}-{parts}"];
    }

    /// <summary>What runs and Quenedi write in a scenario: never pruned, whatever the model folder holds.</summary>
    public static readonly IReadOnlySet<string> RunAndAppOutputs = new HashSet<string>(StringComparer.Ordinal)
    {
        "outputs", "logs", "info.json", "status.json", "styles.json",
    };

    /// <summary>
    /// Whether pruning may delete a remote file of a scenario (<paramref name="relative"/> to its prefix): only in a
    /// folder the local scenario has (its inputs/, and any other folder the model publishes), never in what runs and
    /// the app produce (<see cref="RunAndAppOutputs"/>), never a file at the scenario's top level.
    /// </summary>
    public static bool Prunable(string relative, IReadOnlySet<string> localFolders)
    {
        var slash = relative.IndexOf('/');
        if (slash <= 0) return false;
        var top = relative[..slash];
        return !RunAndAppOutputs.Contains(top) && localFolders.Contains(top);
    }

    private static IReadOnlySet<string> LocalFolders(string folder)
        => Model.Scenarios.Discover(folder).Select(Model.Scenarios.Key).ToHashSet(StringComparer.Ordinal);

    /// <summary>Every file of a scenario folder, with its key relative to the folder ('/' separators).</summary>
    public static IEnumerable<(string Path, string Relative)> LocalFiles(string folder)
    {
        if (!Directory.Exists(folder)) yield break;
        // Not what Jupyter, git or the OS leave beside the user's files (.ipynb_checkpoints, .DS_Store, __pycache__): ModelFiles.Visible.
        foreach (var path in Core.ModelFiles.Visible(folder).Order(StringComparer.Ordinal))
        {
            var relative = Path.GetRelativePath(folder, path).Replace('\\', '/');
            if (Ignored.Contains(Path.GetFileName(path))) continue;
            // A scenario's info.json is merged with the bucket's by the publish (ScenarioInfoStep), not copied over it.
            if (relative == Validation.ScenarioFiles.Info) continue;
            yield return (path, relative);
        }
    }

    private static string ContentType(string key) => Path.GetExtension(key).ToLowerInvariant() switch
    {
        ".json" or ".geojson" => "application/json",
        ".txt" or ".log" => "text/plain",
        ".csv" => "text/csv",
        ".png" => "image/png",
        ".tif" or ".tiff" => "image/tiff",
        _ => "application/octet-stream",
    };
}
