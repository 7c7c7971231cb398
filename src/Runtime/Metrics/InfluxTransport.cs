using GridSweep.Runtime.Configuration;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using InfluxDB.Client;
using InfluxDB.Client.Api.Domain;
using InfluxDB.Client.Core.Exceptions;

namespace GridSweep.Runtime.Metrics;

/// <summary>Why a write failed, which decides what the writer does with the batch.</summary>
internal enum WriteFailure
{
    /// <summary>Network error, timeout, 5xx, 408, 429: keep the batch and retry with backoff.</summary>
    Transient,
    /// <summary>401, 403, 404 and other 4xx: the settings are wrong; keep everything spooled, stop sending.</summary>
    Rejected,
    /// <summary>400, 413, 422: this batch cannot be written as it is; set it aside and go on.</summary>
    BadBatch,
}

internal sealed class InfluxWriteException(WriteFailure failure, string message, Exception? inner = null) : Exception(message, inner)
{
    public WriteFailure Failure { get; } = failure;
}

/// <summary>Thrown by <see cref="MetricsWriter.CheckAsync"/> when the settings cannot work; the message names URL and bucket or database.</summary>
/// <param name="unreachable">No answer from the server (network, timeout, 5xx): nothing is known to be wrong with the settings.</param>
public sealed class InfluxSetupException(string message, Exception? inner = null, bool unreachable = false) : InputException(message, inner)
{
    public bool Unreachable { get; } = unreachable;
}

/// <summary>Sends one batch of line protocol (nanosecond timestamps) to InfluxDB.</summary>
internal interface IInfluxTransport : IDisposable
{
    /// <exception cref="InfluxWriteException">With what to do about the failure.</exception>
    Task WriteAsync(ReadOnlyMemory<byte> lines, CancellationToken cancellationToken);

    /// <exception cref="InfluxSetupException">Server unreachable, credentials refused, bucket or database missing, finite retention.</exception>
    Task CheckAsync(CancellationToken cancellationToken);

    public static IInfluxTransport Create(InfluxSettings settings, TimeSpan requestTimeout) =>
        settings.IsV1 ? new InfluxV1Transport(settings, requestTimeout) : new InfluxV2Transport(settings, requestTimeout);

    /// <summary>What a non-2xx answer means, with a message that says what to change.</summary>
    public static InfluxWriteException Classify(InfluxSettings settings, int status, string serverMessage)
    {
        var failure = status switch
        {
            400 or 413 or 422 => WriteFailure.BadBatch,
            408 or 429 or >= 500 => WriteFailure.Transient,
            _ => WriteFailure.Rejected,
        };
        var what = $"{status} {ReasonPhrase(status)}{(serverMessage.Length > 0 ? $" ({serverMessage})" : "")}";
        var message = failure switch
        {
            WriteFailure.Transient => $"InfluxDB at {settings.Url} failed the write: {what}",
            WriteFailure.BadBatch => $"InfluxDB at {settings.Url} refused points of a batch: {what}",
            _ => $"InfluxDB at {settings.Url} rejected the write: {what} — {Hint(settings, status, serverMessage)}",
        };
        return new InfluxWriteException(failure, message);
    }

    public static string Target(InfluxSettings settings) => settings.IsV1
        ? $"database '{settings.Bucket}'{(settings.RetentionPolicy is null ? "" : $", retention policy '{settings.RetentionPolicy}'")}"
        : $"bucket '{settings.Bucket}' of org '{settings.Org}'";

    private static string Hint(InfluxSettings settings, int status, string serverMessage) => status switch
    {
        401 when settings.User is not null => $"check --influx-user '{settings.User}' and its password (--influx-password-file or {InfluxSettings.PasswordVariable})",
        401 when settings.Token is not null => $"check --influx-token-file (or {InfluxSettings.TokenVariable})",
        401 => $"the server wants credentials: give {(settings.IsV1 ? "--influx-user and --influx-password-file" : "--influx-token-file")}",
        403 => $"the credentials may not write to {Target(settings)}: grant write access",
        404 when settings.IsV1 => $"database '{settings.Bucket}' not found: create it (CREATE DATABASE \"{settings.Bucket}\") or check --influx-bucket",
        404 when serverMessage.Contains("page not found", StringComparison.OrdinalIgnoreCase) =>
            "the server has no /api/v2/write (InfluxDB 1.x before 1.8): use --influx-api v1",
        404 => $"{Target(settings)} not found: check --influx-bucket and --influx-org",
        _ => "check the --influx-* settings",
    };

    private static string ReasonPhrase(int status)
    {
        if (status == 0)
            return "no response";
        using var response = new HttpResponseMessage((HttpStatusCode)status);
        return response.ReasonPhrase?.ToLowerInvariant() ?? "";
    }

    /// <summary>InfluxDB answers errors as <c>{"error": "..."}</c> (1.x) or <c>{"code": ..., "message": "..."}</c> (2.x).</summary>
    public static string ServerMessage(string body)
    {
        body = body.Trim();
        try
        {
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.ValueKind == JsonValueKind.Object)
            {
                foreach (var name in (string[])["error", "message"])
                {
                    if (json.RootElement.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String)
                        return value.GetString()!;
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON: the raw text, shortened.
        }
        return body.Length <= 300 ? body : body[..300];
    }
}

/// <summary>
/// <c>/write?db=&amp;rp=&amp;precision=ns</c> with plain HttpClient. InfluxDB.Client cannot do this: its v1
/// mode (<c>CreateV1</c>) posts to <c>/api/v2/write</c>, which only 1.8+ has; Debian's 1.6 answers 404.
/// The same endpoint works on 2.x (v1-compatible API with a DBRP mapping), with a token instead of a user.
/// </summary>
internal sealed class InfluxV1Transport : IInfluxTransport
{
    private readonly InfluxSettings _settings;
    private readonly HttpClient _http;
    private readonly Uri _write;

    public InfluxV1Transport(InfluxSettings settings, TimeSpan requestTimeout)
    {
        _settings = settings;
        _http = new HttpClient { BaseAddress = new Uri(settings.Url.TrimEnd('/') + "/"), Timeout = requestTimeout };
        _http.DefaultRequestHeaders.Authorization = settings.User is not null
            ? new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{settings.User}:{settings.Password}")))
            : settings.Token is not null ? new AuthenticationHeaderValue("Token", settings.Token) : null;
        var query = $"write?db={Uri.EscapeDataString(settings.Bucket)}&precision=ns";
        if (settings.RetentionPolicy is not null)
            query += $"&rp={Uri.EscapeDataString(settings.RetentionPolicy)}";
        _write = new Uri(query, UriKind.Relative);
    }

    public async Task WriteAsync(ReadOnlyMemory<byte> lines, CancellationToken cancellationToken)
    {
        using var content = new ReadOnlyMemoryContent(lines);
        content.Headers.ContentType = new MediaTypeHeaderValue("text/plain") { CharSet = "utf-8" };
        using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Post, _write) { Content = content }, cancellationToken);
        if (response.IsSuccessStatusCode)
            return;
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        throw IInfluxTransport.Classify(_settings, (int)response.StatusCode, IInfluxTransport.ServerMessage(body));
    }

    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        var where = $"InfluxDB at {_settings.Url} ({IInfluxTransport.Target(_settings)})";
        try
        {
            using (var ping = await SendAsync(new HttpRequestMessage(HttpMethod.Get, "ping"), cancellationToken))
            {
                if (!ping.IsSuccessStatusCode)
                    throw new InfluxSetupException($"{where}: /ping answered {(int)ping.StatusCode}; is this an InfluxDB server?");
            }
            var databases = await QueryAsync("SHOW DATABASES", cancellationToken);
            if (!databases.Any(row => row[0] == _settings.Bucket))
                throw new InfluxSetupException($"{where}: database '{_settings.Bucket}' not found: create it (CREATE DATABASE \"{_settings.Bucket}\") or check --influx-bucket");
            var policies = await QueryAsync($"SHOW RETENTION POLICIES ON \"{_settings.Bucket.Replace("\"", "\\\"")}\"", cancellationToken);
            // Columns: name, duration, shardGroupDuration, replicaN, default.
            var policy = _settings.RetentionPolicy is null
                ? policies.FirstOrDefault(row => row.Length > 4 && row[4] == "true")
                : policies.FirstOrDefault(row => row[0] == _settings.RetentionPolicy);
            if (policy is null)
                throw new InfluxSetupException($"{where}: retention policy '{_settings.RetentionPolicy ?? "(default)"}' not found: check --influx-rp");
            if (policy[1] != "0s")
                throw new InfluxSetupException(
                    $"{where}: retention policy '{policy[0]}' keeps data for {policy[1]}, but {Schema.EpochMeasurement} points carry fixed " +
                    $"timestamps from {Schema.EpochTimeOrigin:yyyy-MM-dd} (see Schema) and would be dropped: use a retention policy of infinite duration (--influx-rp)");
        }
        catch (InfluxWriteException e)
        {
            throw new InfluxSetupException($"{where}: {e.Message}", e, unreachable: e.Failure == WriteFailure.Transient);
        }
    }

    /// <summary>An InfluxQL statement's first series as rows of strings (1.x answers 401 to bad credentials here too).</summary>
    private async Task<List<string?[]>> QueryAsync(string statement, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "query")
        {
            Content = new FormUrlEncodedContent([new("q", statement)]),
        };
        using var response = await SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode == HttpStatusCode.Unauthorized || response.StatusCode == HttpStatusCode.Forbidden)
            throw IInfluxTransport.Classify(_settings, (int)response.StatusCode, IInfluxTransport.ServerMessage(body));
        if (!response.IsSuccessStatusCode)
            throw new InfluxSetupException($"InfluxDB at {_settings.Url} answered {(int)response.StatusCode} to {statement}: {IInfluxTransport.ServerMessage(body)}");
        using var json = JsonDocument.Parse(body);
        var result = json.RootElement.GetProperty("results")[0];
        if (result.TryGetProperty("error", out var error))
            throw new InfluxSetupException($"InfluxDB at {_settings.Url} refused {statement}: {error.GetString()}");
        var rows = new List<string?[]>();
        // An empty answer (no database yet) has a series without "values".
        if (result.TryGetProperty("series", out var series) && series[0].TryGetProperty("values", out var values))
        {
            foreach (var row in values.EnumerateArray())
                rows.Add(row.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText()).ToArray());
        }
        return rows;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using (request)
        {
            try
            {
                return await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
            }
            catch (HttpRequestException e)
            {
                throw new InfluxWriteException(WriteFailure.Transient, $"InfluxDB at {_settings.Url} is unreachable: {e.Message}", e);
            }
            catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                throw new InfluxWriteException(WriteFailure.Transient, $"InfluxDB at {_settings.Url} did not answer within {_http.Timeout.TotalSeconds:0.#} s", e);
            }
        }
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>
/// <c>/api/v2/write</c> through the official client's <see cref="WriteApiAsync"/>, one awaited call per
/// batch from the writer's own loop. Not its batching <c>WriteApi</c>: that one retries and drops on its
/// own and reports only through events, so a batch's fate could not be tied to the spool; here every
/// failure comes back to the caller, which keeps the batch until InfluxDB has acknowledged it.
/// </summary>
internal sealed class InfluxV2Transport : IInfluxTransport
{
    private readonly InfluxSettings _settings;
    private readonly InfluxDBClient _client;
    private readonly WriteApiAsync _write;

    public InfluxV2Transport(InfluxSettings settings, TimeSpan requestTimeout)
    {
        _settings = settings;
        _client = new InfluxDBClient(new InfluxDBClientOptions(settings.Url)
        {
            Token = settings.Token ?? throw new ArgumentException("the v2 API needs a token", nameof(settings)),
            Org = settings.Org,
            Bucket = settings.Bucket,
            Timeout = requestTimeout,
        });
        _write = _client.GetWriteApiAsync();
    }

    public async Task WriteAsync(ReadOnlyMemory<byte> lines, CancellationToken cancellationToken)
    {
        var text = Encoding.UTF8.GetString(lines.Span);
        try
        {
            await _write.WriteRecordAsync(text, WritePrecision.Ns, _settings.Bucket, _settings.Org, cancellationToken);
        }
        catch (Exception e) when (Translate(e, cancellationToken) is { } failure)
        {
            throw failure;
        }
    }

    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        var where = $"InfluxDB at {_settings.Url} ({IInfluxTransport.Target(_settings)})";
        if (!await _client.PingAsync())
            throw new InfluxSetupException($"{where}: no answer to /ping; is the server up and the URL right?", unreachable: true);
        Bucket? bucket;
        try
        {
            bucket = await _client.GetBucketsApi().FindBucketByNameAsync(_settings.Bucket, cancellationToken);
        }
        catch (Exception e) when (Translate(e, cancellationToken) is { } failure)
        {
            throw new InfluxSetupException($"{where}: {failure.Message}", e, unreachable: failure.Failure == WriteFailure.Transient);
        }
        if (bucket is null)
            throw new InfluxSetupException($"{where}: bucket '{_settings.Bucket}' not found: create it or check --influx-bucket and --influx-org");
        var expiry = bucket.RetentionRules?.FirstOrDefault(rule => rule.EverySeconds > 0);
        if (expiry is not null)
            throw new InfluxSetupException(
                $"{where}: bucket '{_settings.Bucket}' keeps data for {TimeSpan.FromSeconds(expiry.EverySeconds!.Value)}, but {Schema.EpochMeasurement} points carry " +
                $"fixed timestamps from {Schema.EpochTimeOrigin:yyyy-MM-dd} (see Schema) and would be dropped: give the bucket infinite retention");
    }

    private InfluxWriteException? Translate(Exception e, CancellationToken cancellationToken) => e switch
    {
        // Status 0: no HTTP answer at all (connection refused, reset, DNS).
        HttpException { Status: 0 } => new InfluxWriteException(WriteFailure.Transient, $"InfluxDB at {_settings.Url} is unreachable: {e.Message}", e),
        HttpException http => IInfluxTransport.Classify(_settings, http.Status, IInfluxTransport.ServerMessage(http.Message)),
        HttpRequestException or IOException or SocketException or InfluxException =>
            new InfluxWriteException(WriteFailure.Transient, $"InfluxDB at {_settings.Url} is unreachable: {e.Message}", e),
        OperationCanceledException when !cancellationToken.IsCancellationRequested =>
            new InfluxWriteException(WriteFailure.Transient, $"InfluxDB at {_settings.Url} did not answer in time", e),
        _ => null,
    };

    public void Dispose() => _client.Dispose();
}
