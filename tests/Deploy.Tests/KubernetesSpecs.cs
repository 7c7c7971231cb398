using GridSweep.Messages.Protocol;

namespace GridSweep.Deploy.Tests;

/// <summary>
/// deploy/k8s: every object validated offline against the Kubernetes schema (deploy/validate, the npm
/// package kubernetes-models with unknown fields refused), and the cluster's wiring checked against the app.
/// </summary>
public sealed class KubernetesSpecs : IDisposable
{
    private const string Namespace = "gridsweep";
    private readonly TempDirectory temp = new("gridsweep-k8s");

    public void Dispose() => temp.Dispose();

    private static ProcessResult Validate(string k8sDir) =>
        Tools.Run(Tools.NodeWithValidatePackages(), [Path.Combine(Repository.ValidateDir, "validate-k8s.js"), k8sDir]);

    [Fact]
    public void Every_manifest_validates_against_the_kubernetes_schema()
    {
        var result = Validate(Repository.K8sDir);

        Assert.True(result.ExitCode == 0, $"deploy/validate/validate-k8s.js found problems:\n{result.Report}");
        foreach (var file in KubernetesManifests.Files())
            Assert.Contains($"checked {Path.GetFileName(file)}:", result.Output);
        Assert.Matches(@"\d+ objects in \d+ files valid", result.Output);
    }

    [Fact]
    public void The_validator_refuses_broken_manifests()
    {
        var copy = temp.Combine("k8s");
        Directory.CreateDirectory(copy);
        foreach (var file in Directory.EnumerateFiles(Repository.K8sDir))
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        var trainer = Path.Combine(copy, "trainer.yaml");
        File.WriteAllText(trainer, File.ReadAllText(trainer)
            .Replace("terminationGracePeriodSeconds: 60", "terminationGracePeriodSecond: 60")                // unknown field
            .Replace("containerPort: 4054", "containerPort: four-thousand")                                  // wrong type
            .Replace("gridsweep-coordinator-1.gridsweep-coordinator", "gridsweep-coordinator-2.gridsweep-coordinator") // no such pod
            .Replace("key: influx-token", "key: influx-tokens"));                                            // no such key

        var result = Validate(copy);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("terminationGracePeriodSecond: unknown field", result.Error);
        Assert.Contains("containerPort must be integer", result.Error);
        Assert.Contains("has 2 replicas, no pod 2", result.Error);
        Assert.Contains("Secret gridsweep-secrets has no key influx-tokens", result.Error);
    }

    [Fact]
    public void Two_coordinator_replicas_and_every_trainer_seed_from_both_coordinator_pods()
    {
        var set = StatefulSet("gridsweep-coordinator");
        var containers = KubernetesManifests.Containers();
        var coordinator = containers.Single(c => c.Image.StartsWith("gridsweep/coordinator", StringComparison.Ordinal));
        var trainer = containers.Single(c => c.Image.StartsWith("gridsweep/trainer", StringComparison.Ordinal));
        string InNamespace(string? text) => (text ?? "").Replace("$(POD_NAMESPACE)", Namespace);
        // coordinator-0 first: the first seed node is the one that bootstraps a new cluster.
        string[] bothPods =
        [
            $"akka.ssl.tcp://{ClusterNames.System}@gridsweep-coordinator-0.gridsweep-coordinator.gridsweep.svc.cluster.local:4053",
            $"akka.ssl.tcp://{ClusterNames.System}@gridsweep-coordinator-1.gridsweep-coordinator.gridsweep.svc.cluster.local:4053",
        ];

        Assert.Equal("2", set.Str("spec", "replicas"));
        Assert.Equal(bothPods, coordinator.Flags("--seed-node").Select(InNamespace));
        Assert.Equal(bothPods, trainer.EnvList("GridSweep__Cluster__SeedNodes").Select(InNamespace));
        Assert.Equal("$(POD_NAME).gridsweep-coordinator.$(POD_NAMESPACE).svc.cluster.local", coordinator.Flag("--public-host"));
        Assert.Equal("0.0.0.0", coordinator.Flag("--host"));
        Assert.Equal("4053", coordinator.Flag("--port"));
        Assert.Equal("$(POD_NAME).gridsweep-trainer.$(POD_NAMESPACE).svc.cluster.local", trainer.EnvValue("GridSweep__Cluster__PublicHost"));
        Assert.Equal("0.0.0.0", trainer.EnvValue("GridSweep__Cluster__Host"));
        var kustomization = Yaml.Load(Path.Combine(Repository.K8sDir, "kustomization.yaml"));
        Assert.Equal(Namespace, kustomization.Str("namespace"));
    }

    [Fact]
    public void Both_coordinators_use_the_postgres_ledger_by_its_service_name_without_a_password_in_the_url()
    {
        var coordinator = KubernetesManifests.Containers().Single(c => c.Image.StartsWith("gridsweep/coordinator", StringComparison.Ordinal));
        var service = Object("Service", "gridsweep-postgres");
        var postgres = StatefulSet("gridsweep-postgres").Get("spec", "template", "spec", "containers").List().Single();
        string Env(string name) => postgres.Get("env").List().Single(e => e.Str("name") == name).Str("value")!;

        var ledger = new Uri(coordinator.Flag("--ledger")!.Replace("$(POD_NAMESPACE)", Namespace));

        Assert.Equal("postgres", ledger.Scheme);
        Assert.Equal("gridsweep-postgres.gridsweep.svc.cluster.local", ledger.Host);
        Assert.Contains(service.Get("spec", "ports").List(), p => p.Str("port") == ledger.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        // USER only: a password in the URL would be in the manifest, the pod spec and every `ps`.
        Assert.Equal(Env("POSTGRES_USER"), ledger.UserInfo);
        Assert.Equal(Env("POSTGRES_DB"), ledger.AbsolutePath.Trim('/'));
        Assert.Matches("^postgres:16", postgres.Str("image"));
    }

    [Fact]
    public void The_ledger_password_comes_from_the_secrets_file_on_both_sides()
    {
        var coordinatorSet = StatefulSet("gridsweep-coordinator");
        var coordinator = KubernetesManifests.Containers().Single(c => c.Image.StartsWith("gridsweep/coordinator", StringComparison.Ordinal));
        var postgresSet = StatefulSet("gridsweep-postgres");
        var postgres = postgresSet.Get("spec", "template", "spec", "containers").List().Single();
        var postgresEnv = postgres.Get("env").List();

        Assert.Equal("ledger-password", SecretKeyOfFile(coordinatorSet, coordinator.Flag("--ledger-password-file")!));
        Assert.Equal("ledger-password", SecretKeyOfFile(postgresSet, postgresEnv.Single(e => e.Str("name") == "POSTGRES_PASSWORD_FILE").Str("value")!));
        // Neither a literal password nor one in an env var's value.
        Assert.DoesNotContain(postgresEnv, e => e.Str("name") == "POSTGRES_PASSWORD");
        Assert.DoesNotContain(coordinator.Env, e => e.Name == "GRIDSWEEP_LEDGER_PASSWORD");
        var template = Object("Secret", "gridsweep-secrets");
        Assert.Equal("REPLACE-ME", template.Str("stringData", "ledger-password"));
    }

    [Fact]
    public void Postgres_keeps_its_data_on_a_claim_and_comes_before_the_coordinators()
    {
        var set = StatefulSet("gridsweep-postgres");
        var container = set.Get("spec", "template", "spec", "containers").List().Single();
        var pgdata = container.Get("env").List().Single(e => e.Str("name") == "PGDATA").Str("value")!;
        var mount = container.Get("volumeMounts").List().Single(m => pgdata.StartsWith(m.Str("mountPath") + "/", StringComparison.Ordinal));
        var resources = Yaml.Load(Path.Combine(Repository.K8sDir, "kustomization.yaml")).Get("resources").List().OfType<string>().ToList();

        Assert.Equal("1", set.Str("spec", "replicas"));
        Assert.Contains(set.Get("spec", "volumeClaimTemplates").List(), t => t.Str("metadata", "name") == mount.Str("name"));
        // A folder inside the claim: initdb refuses a claim root that holds lost+found.
        Assert.NotEqual(mount.Str("mountPath"), pgdata);
        Assert.True(resources.IndexOf("postgres.yaml") is >= 0 and var i && i < resources.IndexOf("coordinator.yaml"),
            $"kustomization.yaml should list postgres.yaml before coordinator.yaml: {string.Join(", ", resources)}");
    }

    [Fact]
    public void Both_coordinators_write_one_shared_read_write_many_run_folder_and_keep_their_own_spool()
    {
        var set = StatefulSet("gridsweep-coordinator");
        var pod = set.Get("spec", "template", "spec");
        var coordinator = KubernetesManifests.Containers().Single(c => c.Image.StartsWith("gridsweep/coordinator", StringComparison.Ordinal));
        var container = pod.Get("containers").List().Single();
        var mounts = container.Get("volumeMounts").List().ToDictionary(m => m.Str("mountPath")!, m => m.Str("name")!);
        var runs = pod.Get("volumes").List().Single(v => v.Str("name") == mounts[coordinator.Flag("--out")!]);
        var claim = Object("PersistentVolumeClaim", runs.Str("persistentVolumeClaim", "claimName")!);
        var spool = coordinator.EnvValue("GridSweep__Influx__Spool")!;
        var templates = set.Get("spec", "volumeClaimTemplates").List().Select(t => t.Str("metadata", "name")).ToList();

        Assert.Equal(["ReadWriteMany"], claim.Get("spec", "accessModes").List().OfType<string>());
        Assert.Contains(mounts.Single(m => spool.StartsWith(m.Key + "/", StringComparison.Ordinal)).Value, templates);
    }

    [Fact]
    public void Trainers_get_a_gpu_each_and_time_to_hand_back_their_trials()
    {
        var set = KubernetesManifests.Objects().Single(o => o.Object.Str("kind") == "StatefulSet" && o.Object.Str("metadata", "name") == "gridsweep-trainer").Object;
        var pod = set.Get("spec", "template", "spec");
        var container = pod.Get("containers").List().Single();

        Assert.StartsWith("gridsweep/trainer-cuda", container.Str("image"));
        Assert.Equal("1", container.Str("resources", "limits", "nvidia.com/gpu"));
        Assert.Equal("cuda:0", container.Get("env").List().Single(e => e.Str("name") == "GridSweep__Trainer__Devices").Str("value"));
        // SIGTERM: hand-back (up to 5 s) and leaving the cluster must finish before Kubernetes kills the pod.
        Assert.True(int.Parse(pod.Str("terminationGracePeriodSeconds")!) >= 30);
        Assert.Equal("Parallel", set.Str("spec", "podManagementPolicy"));
    }

    private static object Object(string kind, string name) =>
        KubernetesManifests.Objects().Single(o => o.Object.Str("kind") == kind && o.Object.Str("metadata", "name") == name).Object;

    private static object StatefulSet(string name) => Object("StatefulSet", name);

    /// <summary>The Secret key a file of the pod is, through the Secret volume mounted over its folder; null when it is none.</summary>
    private static string? SecretKeyOfFile(object set, string file) =>
        SecretOfFile(set, file) is ("gridsweep-secrets", var key) ? key : null;

    /// <summary>The Secret and its key a file of the pod is, through the Secret volume mounted over its folder; nulls when it is none.</summary>
    private static (string? Secret, string? Key) SecretOfFile(object set, string file)
    {
        var pod = set.Get("spec", "template", "spec");
        var mount = pod.Get("containers").List().Single().Get("volumeMounts").List()
            .SingleOrDefault(m => file.StartsWith(m.Str("mountPath")!.TrimEnd('/') + "/", StringComparison.Ordinal));
        var secret = pod.Get("volumes").List().SingleOrDefault(v => v.Str("name") == mount?.Str("name")).Get("secret");
        if (mount is null || secret is null)
            return (null, null);
        var path = file[(mount.Str("mountPath")!.TrimEnd('/').Length + 1)..];
        return (secret.Str("secretName"), secret.Get("items").List().SingleOrDefault(i => i.Str("path") == path)?.Str("key"));
    }

    [Fact]
    public void Every_member_binds_its_pod_address_with_mutual_tls_from_the_tls_secret_never_insecure()
    {
        var containers = KubernetesManifests.Containers();
        var members = new[]
        {
            (Set: StatefulSet("gridsweep-coordinator"), Container: containers.Single(c => c.Image.StartsWith("gridsweep/coordinator", StringComparison.Ordinal)), Role: "coordinator"),
            (Set: StatefulSet("gridsweep-trainer"), Container: containers.Single(c => c.Image.StartsWith("gridsweep/trainer", StringComparison.Ordinal)), Role: "trainer"),
        };
        var secret = Object("Secret", "gridsweep-tls");

        foreach (var (set, container, role) in members)
        {
            string? Setting(string flag, string variable) => container.Flag(flag) ?? container.EnvValue(variable);
            // A pod binds every interface: without TLS anyone who reaches the port could join (the program refuses it without --insecure).
            Assert.Equal("0.0.0.0", Setting("--host", "GridSweep__Cluster__Host"));
            Assert.Null(container.Flag("--insecure"));
            Assert.Null(container.EnvValue("GridSweep__Tls__Insecure"));
            Assert.Equal(("gridsweep-tls", $"{role}.crt"), SecretOfFile(set, Setting("--tls-certificate", "GridSweep__Tls__Certificate")!));
            Assert.Equal(("gridsweep-tls", $"{role}.key"), SecretOfFile(set, Setting("--tls-key", "GridSweep__Tls__Key")!));
            Assert.Equal(("gridsweep-tls", "ca.crt"), SecretOfFile(set, Setting("--tls-ca", "GridSweep__Tls__Ca")!));
            Assert.All(container.Flags("--seed-node").Concat(container.EnvList("GridSweep__Cluster__SeedNodes").OfType<string>()),
                seed => Assert.StartsWith("akka.ssl.tcp://", seed, StringComparison.Ordinal));
        }
        // The template holds placeholders only: real keys never enter the repository.
        Assert.All(secret.Get("stringData").Entries(), e => Assert.Equal("REPLACE-ME", e.Value));
        Assert.Equal(["ca.crt", "coordinator.crt", "coordinator.key", "trainer.crt", "trainer.key"], secret.Get("stringData").Entries().Select(e => e.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Every_trainer_pod_checkpoints_into_one_shared_read_write_many_claim()
    {
        var objects = KubernetesManifests.Objects().Select(o => o.Object).ToList();
        var claim = objects.Single(o => o.Str("kind") == "PersistentVolumeClaim" && o.Str("metadata", "name") == "gridsweep-checkpoints");
        var set = objects.Single(o => o.Str("kind") == "StatefulSet" && o.Str("metadata", "name") == "gridsweep-trainer");
        var pod = set.Get("spec", "template", "spec");
        var container = pod.Get("containers").List().Single();
        var store = container.Get("env").List().Single(e => e.Str("name") == "GridSweep__Trainer__Checkpoints").Str("value");
        var mount = container.Get("volumeMounts").List().Single(m => m.Str("mountPath") == store);
        var volume = pod.Get("volumes").List().Single(v => v.Str("name") == mount.Str("name"));

        Assert.Equal(["ReadWriteMany"], claim.Get("spec", "accessModes").List().OfType<string>());
        // A pod template's claim, not a volumeClaimTemplate: one volume for every replica.
        Assert.Equal("gridsweep-checkpoints", volume.Str("persistentVolumeClaim", "claimName"));
    }

    [Fact]
    public void No_pod_gets_access_to_the_kubernetes_api()
    {
        var objects = KubernetesManifests.Objects().Select(o => o.Object).ToList();
        Assert.DoesNotContain(objects, o => o.Str("kind") is "Role" or "ClusterRole" or "RoleBinding" or "ClusterRoleBinding");
        Assert.Single(objects, o => o.Str("kind") == "ServiceAccount" && o.Str("automountServiceAccountToken") == "false");
        foreach (var workload in objects.Where(o => o.Get("spec", "template", "spec") is not null))
        {
            var pod = workload.Get("spec", "template", "spec");
            Assert.Equal("gridsweep", pod.Str("serviceAccountName"));
            Assert.Equal("false", pod.Str("automountServiceAccountToken"));
        }
    }

    [Fact]
    public void The_secret_template_is_not_applied_and_its_real_copy_is_ignored_by_git()
    {
        var kustomization = Yaml.Load(Path.Combine(Repository.K8sDir, "kustomization.yaml"));
        var resources = kustomization.Get("resources").List().OfType<string>().ToList();

        Assert.DoesNotContain("secret.example.yaml", resources);
        Assert.DoesNotContain(resources, r => r.Contains("secret", StringComparison.OrdinalIgnoreCase));
        Assert.Contains("deploy/k8s/secret.yaml", File.ReadAllLines(Repository.PathOf(".gitignore")).Select(l => l.Trim()));
    }

    [Fact]
    public void Grafana_and_the_coordinator_mount_configmaps_made_from_the_repository_files()
    {
        var script = File.ReadAllText(Path.Combine(Repository.K8sDir, "configmaps.sh"));
        foreach (var path in new[] { "sweeps/imdb-overfitting.yaml", "dashboards/provisioning/datasources/", "dashboards/provisioning/dashboards/", "dashboards/json/" })
        {
            Assert.Contains(path, script);
            Assert.True(File.Exists(Repository.PathOf(path)) || Directory.Exists(Repository.PathOf(path)), $"configmaps.sh reads {path}, which does not exist");
        }
        var syntax = Tools.Run("bash", ["-n", Path.Combine(Repository.K8sDir, "configmaps.sh")]);
        Assert.True(syntax.ExitCode == 0, syntax.Report);

        var grafana = KubernetesManifests.Objects().Single(o => o.Object.Str("kind") == "Deployment" && o.Object.Str("metadata", "name") == "grafana").Object;
        var mounts = grafana.Get("spec", "template", "spec", "containers").List().Single().Get("volumeMounts").List()
            .ToDictionary(m => m.Str("name")!, m => m.Str("mountPath"));
        Assert.Equal(Provisioning.DashboardProviderPath(), mounts["dashboards"]);
        Assert.Equal("/etc/grafana/provisioning/datasources", mounts["datasources"]);
        Assert.Equal("/etc/grafana/provisioning/dashboards", mounts["dashboard-providers"]);
    }
}
