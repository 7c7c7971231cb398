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
            .Replace("gridsweep-coordinator-0.gridsweep-coordinator", "gridsweep-coordinator-1.gridsweep-coordinator") // no such pod
            .Replace("key: influx-token", "key: influx-tokens"));                                            // no such key

        var result = Validate(copy);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("terminationGracePeriodSecond: unknown field", result.Error);
        Assert.Contains("containerPort must be integer", result.Error);
        Assert.Contains("has 1 replicas, no pod 1", result.Error);
        Assert.Contains("Secret gridsweep-secrets has no key influx-tokens", result.Error);
    }

    [Fact]
    public void Trainers_seed_from_the_coordinators_stable_dns_name()
    {
        var containers = KubernetesManifests.Containers();
        var coordinator = containers.Single(c => c.Image.StartsWith("gridsweep/coordinator", StringComparison.Ordinal));
        var trainer = containers.Single(c => c.Image.StartsWith("gridsweep/trainer", StringComparison.Ordinal));
        string InNamespace(string? text) => (text ?? "").Replace("$(POD_NAMESPACE)", Namespace);

        Assert.Equal(
            $"akka.tcp://{ClusterNames.System}@gridsweep-coordinator-0.gridsweep-coordinator.gridsweep.svc.cluster.local:4053",
            InNamespace(trainer.EnvValue("GridSweep__Cluster__SeedNodes__0")));
        Assert.Equal("$(POD_NAME).gridsweep-coordinator.$(POD_NAMESPACE).svc.cluster.local", coordinator.Flag("--public-host"));
        Assert.Equal("0.0.0.0", coordinator.Flag("--host"));
        Assert.Equal("4053", coordinator.Flag("--port"));
        Assert.Equal("$(POD_NAME).gridsweep-trainer.$(POD_NAMESPACE).svc.cluster.local", trainer.EnvValue("GridSweep__Cluster__PublicHost"));
        Assert.Equal("0.0.0.0", trainer.EnvValue("GridSweep__Cluster__Host"));
        var kustomization = Yaml.Load(Path.Combine(Repository.K8sDir, "kustomization.yaml"));
        Assert.Equal(Namespace, kustomization.Str("namespace"));
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
