namespace GridSweep.Deploy.Tests;

/// <summary>
/// deploy/k8s, offline: the nodes are probed on their health endpoints (GET /ready, GET /alive on --health-port), the
/// Job form of a sweep (sweep-job/) validates beside the base and ends with its sweep, standing trainers wait for the
/// next sweep, and a NetworkPolicy admits remoting only from the cluster's own pods.
/// </summary>
public sealed class LifecycleManifestSpecs : IDisposable
{
    private const string HealthPort = "8558";
    private static readonly string SweepJobDir = Path.Combine(Repository.K8sDir, "sweep-job");
    private readonly TempDirectory temp = new("gridsweep-k8s-job");

    public void Dispose() => temp.Dispose();

    private static IEnumerable<(string Where, object Workload)> Workloads() =>
        KubernetesManifests.Objects().Select(o => ($"deploy/k8s/{o.File}", o.Object))
            .Concat(Directory.EnumerateFiles(SweepJobDir, "*-job.yaml").SelectMany(f => Yaml.LoadAll(f).Select(o => ($"deploy/k8s/sweep-job/{Path.GetFileName(f)}", o))))
            .Where(o => o.Item2.Str("metadata", "labels", "app.kubernetes.io/component") is "coordinator" or "trainer" && o.Item2.Get("spec", "template") is not null);

    [Fact]
    public void Every_cluster_node_is_probed_on_its_health_endpoint_not_on_a_bare_tcp_port()
    {
        var workloads = Workloads().ToList();
        Assert.Equal(4, workloads.Count); // Coordinator and trainer, as StatefulSets and as Jobs.
        foreach (var (where, workload) in workloads)
        {
            var container = workload.Get("spec", "template", "spec", "containers").List().Single();
            var args = container.Get("args").List().Select(a => a?.ToString()).ToList();
            var flag = args.IndexOf("--health-port") is var i and >= 0 ? args[i + 1] : null;
            var env = container.Get("env").List().SingleOrDefault(e => e.Str("name") == "GridSweep__Cluster__HealthPort")?.Str("value");
            Assert.True((flag ?? env) == HealthPort, $"{where}: --health-port (or GridSweep__Cluster__HealthPort) should be {HealthPort}");
            var port = container.Get("ports").List().Single(p => p.Str("name") == "health");
            Assert.Equal(HealthPort, port.Get("containerPort")?.ToString());
            Assert.Equal("/ready", container.Str("readinessProbe", "httpGet", "path"));
            Assert.Equal("health", container.Str("readinessProbe", "httpGet", "port"));
            Assert.Equal("/alive", container.Str("livenessProbe", "httpGet", "path"));
            Assert.Equal("health", container.Str("livenessProbe", "httpGet", "port"));
            foreach (var probe in new[] { "readinessProbe", "livenessProbe", "startupProbe" })
                Assert.True(container.Get(probe, "tcpSocket") is null, $"{where}: {probe} is a bare TCP probe");
        }
    }

    [Fact]
    public void The_sweep_job_form_validates_beside_the_base_manifests()
    {
        var copy = temp.Combine("k8s");
        Directory.CreateDirectory(copy);
        foreach (var file in Directory.EnumerateFiles(Repository.K8sDir))
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        foreach (var file in Directory.EnumerateFiles(SweepJobDir, "*-job.yaml"))
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        var kustomization = Path.Combine(copy, "kustomization.yaml");
        File.WriteAllText(kustomization, File.ReadAllText(kustomization)
            .Replace("  - trainer.yaml\n", "  - trainer.yaml\n  - coordinator-job.yaml\n  - trainer-job.yaml\n", StringComparison.Ordinal));

        var result = Tools.Run(Tools.NodeWithValidatePackages(), [Path.Combine(Repository.ValidateDir, "validate-k8s.js"), copy]);

        Assert.True(result.ExitCode == 0, $"the Job form does not validate:\n{result.Report}");
        Assert.Contains("checked coordinator-job.yaml: batch/v1 Job gridsweep-sweep-coordinator", result.Output);
        Assert.Contains("checked trainer-job.yaml: batch/v1 Job gridsweep-sweep-trainers", result.Output);
        var jobKustomization = Yaml.Load(Path.Combine(SweepJobDir, "kustomization.yaml"));
        Assert.Equal(["coordinator-job.yaml", "trainer-job.yaml"], jobKustomization.Get("resources").List().OfType<string>());
        Assert.Equal("gridsweep", jobKustomization.Str("namespace"));
    }

    [Fact]
    public void The_job_coordinator_ends_with_its_sweep_under_the_first_coordinator_pods_name_and_restarts_when_downed()
    {
        var job = Job("coordinator-job.yaml");
        var pod = job.Get("spec", "template", "spec");
        var container = pod.Get("containers").List().Single();
        var args = container.Get("args").List().Select(a => a?.ToString()).ToList();
        var service = KubernetesManifests.Objects().Single(o => o.Object.Str("kind") == "Service" && o.Object.Str("metadata", "name") == "gridsweep-coordinator").Object;

        Assert.DoesNotContain("--stay", args); // Exit 0 completes the Job.
        Assert.Equal("OnFailure", pod.Str("restartPolicy")); // Exit 3 (downed) or 1 restarts it in place; it resumes from the ledger.
        Assert.StartsWith("postgres://", args[args.IndexOf("--ledger") + 1]);
        // The base's headless Service names it as it names the StatefulSet's first pod: trainers seed from the same address.
        Assert.Equal("gridsweep-coordinator", pod.Str("subdomain"));
        Assert.Equal("gridsweep-coordinator-0", pod.Str("hostname"));
        Assert.Equal("gridsweep-coordinator-0.gridsweep-coordinator.$(POD_NAMESPACE).svc.cluster.local", args[args.IndexOf("--public-host") + 1]);
        // It binds 0.0.0.0: mutual TLS with the coordinators' certificate, never --insecure.
        Assert.DoesNotContain("--insecure", args);
        Assert.Equal("/var/run/secrets/gridsweep-tls/tls.crt", args[args.IndexOf("--tls-certificate") + 1]);
        Assert.Contains(pod.Get("volumes").List().Single(v => v.Str("name") == "tls").Get("secret", "items").List(),
            i => i.Str("key") == "coordinator.crt" && i.Str("path") == "tls.crt");
        foreach (var (key, value) in service.Get("spec", "selector").Entries())
            Assert.Equal(value as string, job.Str("spec", "template", "metadata", "labels", key));
    }

    [Fact]
    public void Job_trainers_exit_with_the_sweep_and_standing_trainers_wait_for_the_next()
    {
        var job = Job("trainer-job.yaml");
        var pod = job.Get("spec", "template", "spec");
        var env = pod.Get("containers").List().Single().Get("env").List();
        var standing = KubernetesManifests.Containers().Single(c => c.Workload == "StatefulSet/gridsweep-trainer");

        Assert.Equal("OnFailure", pod.Str("restartPolicy"));
        Assert.DoesNotContain(env, e => e.Str("name") == "GridSweep__Trainer__WaitForNextSweep");
        Assert.Equal("$(POD_IP)", env.Single(e => e.Str("name") == "GridSweep__Cluster__PublicHost").Str("value"));
        Assert.Equal("status.podIP", env.Single(e => e.Str("name") == "POD_IP").Str("valueFrom", "fieldRef", "fieldPath"));
        Assert.Equal("akka.ssl.tcp://gridsweep@gridsweep-coordinator-0.gridsweep-coordinator.$(POD_NAMESPACE).svc.cluster.local:4053",
            env.Single(e => e.Str("name") == "GridSweep__Cluster__SeedNodes__0").Str("value"));
        // Mutual TLS as the standing trainers: the trainers' certificate from the gridsweep-tls secret.
        Assert.Equal("/var/run/secrets/gridsweep-tls/tls.crt", env.Single(e => e.Str("name") == "GridSweep__Tls__Certificate").Str("value"));
        var tls = pod.Get("volumes").List().Single(v => v.Str("name") == "tls");
        Assert.Equal("gridsweep-tls", tls.Str("secret", "secretName"));
        Assert.Contains(tls.Get("secret", "items").List(), i => i.Str("key") == "trainer.crt" && i.Str("path") == "tls.crt");
        // A StatefulSet restarts a pod that exits: its trainers stay for the next sweep instead.
        Assert.Equal("true", standing.EnvValue("GridSweep__Trainer__WaitForNextSweep"));
    }

    [Fact]
    public void The_network_policy_admits_remoting_only_from_the_clusters_pods_and_the_health_port_from_the_nodes_probes()
    {
        var policy = KubernetesManifests.Objects().Single(o => o.Object.Str("kind") == "NetworkPolicy").Object;
        string[] roles = ["coordinator", "trainer"];
        static string[] Roles(object? selector) => selector.Get("matchExpressions").List()
            .Single(e => e.Str("key") == "app.kubernetes.io/component" && e.Str("operator") == "In").Get("values").List().OfType<string>().Order().ToArray();
        static string[] Ports(object? rule) => rule.Get("ports").List().Select(p => p.Get("port")?.ToString() ?? "").Order().ToArray();

        Assert.Equal(roles, Roles(policy.Get("spec", "podSelector")));
        Assert.Equal(["Ingress"], policy.Get("spec", "policyTypes").List().OfType<string>());
        var rules = policy.Get("spec", "ingress").List();
        Assert.Equal(2, rules.Count);
        var remoting = rules.Single(r => r.Get("from") is not null);
        Assert.Equal(["4053", "4054"], Ports(remoting));
        var from = remoting.Get("from").List().Single();
        Assert.Equal(roles, Roles(from.Get("podSelector")));
        Assert.Equal("gridsweep", from.Str("podSelector", "matchLabels", "app.kubernetes.io/name"));
        Assert.Null(from.Get("namespaceSelector")); // This namespace's pods only.
        var health = rules.Single(r => r.Get("from") is null);
        Assert.Equal([HealthPort], Ports(health));
        // The ports the policy names are the ones the pods listen on.
        var listened = Workloads().SelectMany(w => w.Workload.Get("spec", "template", "spec", "containers").List().Single().Get("ports").List())
            .Select(p => p.Get("containerPort")?.ToString()).ToHashSet();
        Assert.Superset(listened!, Ports(remoting).Concat(Ports(health)).ToHashSet());
    }

    private static object Job(string file) => Yaml.LoadAll(Path.Combine(SweepJobDir, file)).Single(o => o.Str("kind") == "Job");
}
