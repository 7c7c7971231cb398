using System.Net;
using System.Net.Sockets;

namespace GridSweep.TrainerNode.Tests.Data;

/// <summary>A real HTTP server on a free 127.0.0.1 port that serves one body for every request.</summary>
internal sealed class LoopbackServer : IDisposable
{
    private readonly HttpListener _listener;
    private readonly Task _loop;
    private readonly byte[] _body;
    private readonly HttpStatusCode _status;
    private int _requests;

    public LoopbackServer(byte[] body, HttpStatusCode status = HttpStatusCode.OK)
    {
        _body = body;
        _status = status;
        (_listener, BaseUrl) = StartOnFreePort();
        _loop = Task.Run(ServeAsync);
    }

    public string BaseUrl { get; }

    public int Requests => Volatile.Read(ref _requests);

    public string UrlOf(string path) => BaseUrl + path;

    private static (HttpListener, string) StartOnFreePort()
    {
        for (var attempt = 0; ; attempt++)
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();

            var url = $"http://127.0.0.1:{port}/";
            var listener = new HttpListener();
            listener.Prefixes.Add(url);
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
            Interlocked.Increment(ref _requests);
            using var response = context.Response;
            response.StatusCode = (int)_status;
            if (_status == HttpStatusCode.OK)
            {
                response.ContentLength64 = _body.Length;
                await response.OutputStream.WriteAsync(_body);
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
