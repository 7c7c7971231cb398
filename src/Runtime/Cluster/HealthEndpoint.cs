using System.Net;
using System.Text.Json;
using Akka.Actor;
using Akka.Cluster;
using Akka.DependencyInjection;
using Akka.Hosting;
using GridSweep.Runtime.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace GridSweep.Runtime.Cluster;

/// <summary>
/// The node's health over HTTP, for Kubernetes probes: on <c>--health-port</c>, <c>GET /alive</c> answers 200 while the
/// actor system runs and <c>GET /ready</c> 200 when every readiness check passes (the node is <c>Up</c> in the cluster,
/// and a role's own checks such as a trainer's data), else 503; the body lists the checks as JSON. The checks are
/// Akka.Hosting health checks (Microsoft.Extensions.Diagnostics.HealthChecks) tagged <see cref="LiveTag"/> or
/// <see cref="ReadyTag"/>. They are served by the BCL's HttpListener, not Akka.Management's HTTP server: Akka.Management
/// 1.5.73 needs Ceen.Httpd 0.9.9, the package source serves only 0.9.10, whose changed API fails its start with a
/// MissingMethodException; and the runtime images carry no ASP.NET Core.
/// </summary>
public static class HealthEndpoint
{
    public const string LiveTag = "live";
    public const string ReadyTag = "ready";
    public const string AlivePath = "/alive";
    public const string ReadyPath = "/ready";

    /// <summary>The endpoint and the checks every node has; nothing when <c>--health-port</c> is 0.</summary>
    public static AkkaConfigurationBuilder WithHealthEndpoint(this AkkaConfigurationBuilder akka, ClusterNodeOptions settings)
    {
        if (settings.HealthPort == 0)
            return akka;
        return akka
            .WithActorSystemLivenessCheck(tags: [LiveTag])
            .WithReadinessCheck("cluster-member-up", system =>
            {
                var cluster = Akka.Cluster.Cluster.Get(system);
                var status = cluster.SelfMember.Status;
                if (status != MemberStatus.Up)
                    return $"this node is {status.ToString().ToLowerInvariant()} in the cluster, not up";
                // A node cut off from every coordinator node (about to be downed) takes no work: not ready either.
                return CoordinatorSideLease.ReachesCoordinator(cluster.State) ? null : "this node reaches no coordinator node that is up";
            })
            .AddStartup((system, _) =>
            {
                var server = new Server(system, settings.Host, settings.HealthPort);
                // Stops answering as the node starts to leave; the process exits soon after.
                CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeServiceUnbind, "health-endpoint", () =>
                {
                    server.Dispose();
                    return Task.FromResult(Akka.Done.Instance);
                });
            });
    }

    /// <summary>A readiness check: <paramref name="problem"/> says what is not ready yet, or null when ready.</summary>
    public static AkkaConfigurationBuilder WithReadinessCheck(this AkkaConfigurationBuilder akka, string name, Func<ActorSystem, string?> problem) =>
        akka.WithHealthCheck(name, (system, _, _) => Task.FromResult(problem(system) is { } reason
            ? HealthCheckResult.Unhealthy(reason)
            : HealthCheckResult.Healthy()), tags: [ReadyTag]);

    private sealed class Server : IDisposable
    {
        private readonly HttpListener listener = new();
        private readonly ActorSystem system;

        public Server(ActorSystem system, string host, int port)
        {
            this.system = system;
            // HttpListener's wildcard for every address; a named host binds that address only.
            var prefixHost = host is "0.0.0.0" or "::" or "*" ? "+" : host.Contains(':') ? $"[{host}]" : host;
            listener.Prefixes.Add($"http://{prefixHost}:{port}/");
            try
            {
                listener.Start();
            }
            catch (HttpListenerException error)
            {
                throw new InputException($"{SettingName.Of<ClusterNodeOptions>(nameof(ClusterNodeOptions.HealthPort))}: cannot listen on {host}:{port}: {error.Message}", error);
            }
            _ = Task.Run(ServeAsync);
        }

        public void Dispose() => listener.Close();

        private async Task ServeAsync()
        {
            while (listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await listener.GetContextAsync();
                }
                catch (Exception error) when (error is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return; // Closed.
                }
                _ = Task.Run(async () =>
                {
                    try
                    {
                        await AnswerAsync(context);
                    }
                    catch (Exception error)
                    {
                        await Console.Error.WriteLineAsync($"health endpoint: {error}");
                    }
                });
            }
        }

        private async Task AnswerAsync(HttpListenerContext context)
        {
            using var response = context.Response;
            response.StatusCode = (int)HttpStatusCode.ServiceUnavailable; // Unless every check says otherwise.
            var tag = context.Request.Url?.AbsolutePath switch
            {
                AlivePath => LiveTag,
                ReadyPath => ReadyTag,
                _ => null,
            };
            if (tag is null || context.Request.HttpMethod is not ("GET" or "HEAD"))
            {
                response.StatusCode = (int)HttpStatusCode.NotFound;
                return;
            }
            HealthReport report;
            try
            {
                var checks = DependencyResolver.For(system).Resolver.GetService<HealthCheckService>()
                    ?? throw new InvalidOperationException("no HealthCheckService: the host calls AddHealthChecks()");
                report = await checks.CheckHealthAsync(registration => registration.Tags.Contains(tag));
            }
            catch (Exception error) when (error is ObjectDisposedException or InvalidOperationException)
            {
                response.StatusCode = (int)HttpStatusCode.ServiceUnavailable; // The host is stopping.
                return;
            }
            var healthy = report.Status == HealthStatus.Healthy && report.Entries.Count > 0;
            response.StatusCode = (int)(healthy ? HttpStatusCode.OK : HttpStatusCode.ServiceUnavailable);
            response.ContentType = "application/json";
            var body = JsonSerializer.SerializeToUtf8Bytes(new
            {
                status = healthy ? "ok" : "unavailable",
                checks = report.Entries.ToDictionary(e => e.Key, e => e.Value.Status == HealthStatus.Healthy ? "ok" : e.Value.Description ?? e.Value.Status.ToString()),
            });
            response.ContentLength64 = body.Length;
            try
            {
                await response.OutputStream.WriteAsync(body);
            }
            catch (HttpListenerException)
            {
                // The prober hung up.
            }
        }
    }
}
