using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace GridSweep.TestKit;

/// <summary>Free ports on 127.0.0.1.</summary>
public static class Loopback
{
    /// <summary>A port nothing listens on right now (the system's pick; another process may still take it).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>One request as <see cref="LoopbackHttpServer"/> received it, with the status it answered.</summary>
public sealed record RecordedRequest(
    string Method,
    string Path,
    IReadOnlyDictionary<string, string?> Query,
    IReadOnlyDictionary<string, string?> Headers,
    string Body,
    int Status);

/// <summary>A real HTTP server on a free 127.0.0.1 port that answers every request as told and records it.</summary>
public sealed class LoopbackHttpServer : IDisposable
{
    private readonly HttpListener _listener;
    private readonly Func<RecordedRequest, (int Status, byte[] Body, string? ContentType)> _respond;
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly Task _loop;

    /// <summary>Answers with a status and a JSON body (none when empty), chosen per request.</summary>
    public LoopbackHttpServer(Func<RecordedRequest, (int Status, string Body)> respond)
        : this(request =>
        {
            var (status, body) = respond(request);
            return (status, Encoding.UTF8.GetBytes(body), body.Length > 0 ? "application/json" : null);
        })
    {
    }

    /// <summary>Serves one body for every request; with any status but 200, no body.</summary>
    public LoopbackHttpServer(byte[] body, HttpStatusCode status = HttpStatusCode.OK)
        : this(_ => ((int)status, status == HttpStatusCode.OK ? body : [], null))
    {
    }

    /// <summary>Serves each file at its path (<c>/name</c>), 404 for any other.</summary>
    public static LoopbackHttpServer Files(IReadOnlyDictionary<string, byte[]> files) =>
        new(request => files.TryGetValue(request.Path.TrimStart('/'), out var body) ? (200, body, null) : (404, [], null));

    private LoopbackHttpServer(Func<RecordedRequest, (int Status, byte[] Body, string? ContentType)> respond)
    {
        _respond = respond;
        (_listener, Url) = StartOnFreePort();
        _loop = Task.Run(ServeAsync);
    }

    /// <summary><c>http://127.0.0.1:port</c>, no trailing slash.</summary>
    public string Url { get; }

    public string UrlOf(string path) => $"{Url}/{path.TrimStart('/')}";

    public IReadOnlyList<RecordedRequest> Requests => _requests.ToList();

    private static (HttpListener, string) StartOnFreePort()
    {
        for (var attempt = 0; ; attempt++)
        {
            var url = $"http://127.0.0.1:{Loopback.FreePort()}";
            var listener = new HttpListener();
            listener.Prefixes.Add(url + "/");
            try
            {
                listener.Start();
                return (listener, url);
            }
            catch (HttpListenerException) when (attempt < 5)
            {
                // Another process took the port between probing and listening: try another.
                listener.Close();
            }
        }
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }
            using var response = context.Response;
            var request = context.Request;
            using var reader = new StreamReader(request.InputStream, Encoding.UTF8);
            var recorded = new RecordedRequest(
                request.HttpMethod,
                request.Url!.AbsolutePath,
                request.QueryString.AllKeys.Where(k => k is not null).ToDictionary(k => k!, k => request.QueryString[k]),
                request.Headers.AllKeys.Where(k => k is not null).ToDictionary(k => k!, k => request.Headers[k], StringComparer.OrdinalIgnoreCase),
                await reader.ReadToEndAsync(),
                0);
            var (status, body, contentType) = _respond(recorded);
            _requests.Enqueue(recorded with { Status = status });
            response.StatusCode = status;
            if (body.Length > 0)
            {
                if (contentType is not null)
                    response.ContentType = contentType;
                response.ContentLength64 = body.Length;
                await response.OutputStream.WriteAsync(body);
            }
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _loop.Wait(TimeSpan.FromSeconds(5));
    }
}
