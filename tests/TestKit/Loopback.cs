using System.Net;
using System.Net.Sockets;

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
