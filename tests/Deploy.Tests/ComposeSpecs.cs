using GridSweep.Messages.Protocol;
using GridSweep.Messages.Sweeps;

namespace GridSweep.Deploy.Tests;

/// <summary>deploy/docker-compose.yml, checked by Docker Compose itself (no engine needed) and against the programs.</summary>
public sealed class ComposeSpecs : IDisposable
{
    private readonly TempDirectory temp = new("gridsweep-compose");

    public void Dispose() => temp.Dispose();

    private static ProcessResult Compose(string envFile, params string[] arguments)
    {
        var (fileName, prefix) = Tools.Compose();
        // Every profile, so that Compose v2 shows the trainers of both (v1 shows all services anyway).
        return Tools.Run(fileName, [.. prefix, "--env-file", envFile, "--profile", "gpu", "--profile", "cpu", "-f", Repository.ComposeFile, .. arguments]);
    }

    private string EnvFile(Func<string, bool>? keep = null)
    {
        var path = temp.Combine(".env");
        File.WriteAllLines(path, File.ReadAllLines(Repository.EnvExample).Where(l => keep is null || keep(l)));
        return path;
    }

    [Fact]
    public void Docker_compose_config_accepts_the_file_with_the_example_env()
    {
        var result = Compose(EnvFile(), "config", "-q");

        Assert.True(result.ExitCode == 0, $"docker-compose config -q refused deploy/docker-compose.yml:\n{result.Report}");
        Assert.DoesNotContain("WARN", result.Error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Every_trainer_checkpoints_into_the_one_volume_they_share()
    {
        var trainers = ComposeFile.Services(Repository.ComposeFile).Where(s => s.Name.StartsWith("trainer", StringComparison.Ordinal)).ToList();

        Assert.Equal(3, trainers.Count);
        Assert.All(trainers, trainer =>
        {
            Assert.Equal("/checkpoints", trainer.Flag("--checkpoints"));
            Assert.Contains("checkpoints:/checkpoints", trainer.Volumes);
        });
    }

    [Fact]
    public void Docker_compose_refuses_to_start_without_a_secret()
    {
        var result = Compose(EnvFile(line => !line.StartsWith("INFLUX_TOKEN=", StringComparison.Ordinal)), "config", "-q");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("set INFLUX_TOKEN in deploy/.env", result.All);
    }

    [Fact]
    public void The_resolved_model_has_the_values_of_the_env_file()
    {
        var result = Compose(EnvFile(), "config");
        Assert.True(result.ExitCode == 0, result.Report);
        var resolved = temp.Combine("resolved.yml");
        File.WriteAllText(resolved, result.Output);
        var services = ComposeFile.Services(resolved).ToDictionary(s => s.Name);
        var env = EnvExample.Read(Repository.EnvExample).ToDictionary(e => e.Name, e => e.Value);

        Assert.Equal(["coordinator", "coordinator-standby", "grafana", "influxdb", "postgres", "trainer-1", "trainer-2", "trainer-cpu"], services.Keys.Order());
        Assert.Equal(env["INFLUX_TOKEN"], services["trainer-1"].Environment["GRIDSWEEP_INFLUX_TOKEN"]);
        Assert.Equal(env["INFLUX_TOKEN"], services["influxdb"].Environment["DOCKER_INFLUXDB_INIT_ADMIN_TOKEN"]);
        Assert.Equal(env["INFLUX_BUCKET"], services["grafana"].Environment["INFLUX_DATABASE"]);
        Assert.Equal(env["INFLUX_ORG"], services["trainer-cpu"].Environment["GridSweep__Influx__Org"]);
        Assert.Equal(env["INFLUX_BUCKET"], services["coordinator"].Environment["GridSweep__Influx__Bucket"]);
        Assert.Equal(env["CPU_TRAINER_SLOTS"], services["trainer-cpu"].Flag("--slots"));
        Assert.Equal($"/sweeps/{env["SWEEP_FILE"]}", services["coordinator"].Command[1]);
        Assert.Equal($"/sweeps/{env["SWEEP_FILE"]}", services["coordinator-standby"].Command[1]);
        Assert.Equal(env["LEDGER_PASSWORD"], services["postgres"].Environment["POSTGRES_PASSWORD"]);
        Assert.Equal(env["LEDGER_PASSWORD"], services["coordinator"].Environment["GRIDSWEEP_LEDGER_PASSWORD"]);
        Assert.Equal(env["LEDGER_PASSWORD"], services["coordinator-standby"].Environment["GRIDSWEEP_LEDGER_PASSWORD"]);
        Assert.Equal(env["INFLUX_TOKEN"], services["coordinator-standby"].Environment["GRIDSWEEP_INFLUX_TOKEN"]);
        var devices = services["trainer-2"].Raw.Get("deploy", "resources", "reservations", "devices").List().Single();
        Assert.Equal([env["TRAINER_2_GPU"]], devices.Get("device_ids").List());
    }

    [Fact]
    public void Both_coordinators_and_every_trainer_seed_from_both_coordinators_by_service_name()
    {
        var services = ComposeFile.Services(Repository.ComposeFile);
        var coordinators = services.Where(s => s.IsCoordinator).ToList();
        Assert.Equal(["coordinator", "coordinator-standby"], coordinators.Select(c => c.Name));
        // "coordinator" first: the first seed node is the one that bootstraps a new cluster.
        var seeds = coordinators.Select(c => $"akka.ssl.tcp://{ClusterNames.System}@{c.Name}:{c.Flag("--port")}").ToList();
        foreach (var coordinator in coordinators)
        {
            Assert.Equal("coordinator", coordinator.Command[0]);
            Assert.Equal("0.0.0.0", coordinator.Flag("--host"));
            Assert.Equal(coordinator.Name, coordinator.Flag("--public-host"));
            Assert.Equal(seeds, coordinator.Flags("--seed-node"));
        }

        var trainers = services.Where(s => s.IsTrainer).ToList();
        Assert.Equal(3, trainers.Count);
        foreach (var trainer in trainers)
        {
            Assert.Equal(seeds, trainer.Flags("--seed-node"));
            Assert.Equal("0.0.0.0", trainer.Flag("--host"));
            // Each trainer is its own service, so its name is an address no other container shares.
            Assert.Equal(trainer.Name, trainer.Flag("--public-host"));
            Assert.Equal(trainer.Name, trainer.Flag("--node-id"));
        }
    }

    [Fact]
    public void Every_member_binds_with_mutual_tls_from_its_own_certificate_secrets_never_insecure()
    {
        var root = Yaml.Load(Repository.ComposeFile);
        var members = ComposeFile.Services(Repository.ComposeFile).Where(s => s.IsCoordinator || s.IsTrainer).ToList();
        Assert.Equal(5, members.Count);
        foreach (var member in members)
        {
            // Containers bind every interface: without TLS anyone who reaches the port could join.
            Assert.Equal("0.0.0.0", member.Flag("--host"));
            Assert.DoesNotContain("--insecure", member.Command);
            var secrets = member.Raw.Get("secrets").List().ToDictionary(s => "/run/secrets/" + s.Str("target"), s => s.Str("source"));
            Assert.Equal($"{member.Name}-tls-certificate", secrets[member.Flag("--tls-certificate")!]);
            Assert.Equal($"{member.Name}-tls-key", secrets[member.Flag("--tls-key")!]);
            Assert.Equal("tls-ca", secrets[member.Flag("--tls-ca")!]);
            foreach (var source in secrets.Values)
                Assert.StartsWith("./certs/", root.Str("secrets", source!, "file"), StringComparison.Ordinal);
        }
        // The certificates are made locally (gridsweep certs --out deploy/certs) and never committed.
        Assert.Contains("deploy/certs/", File.ReadAllLines(Path.Combine(Repository.Root, ".gitignore")));
        Assert.True(DockerIgnore.Read(Repository.DockerIgnore).Excludes("deploy/certs/coordinator.key"), ".dockerignore should keep deploy/certs out of the images");
    }

    [Fact]
    public void Both_coordinators_run_one_sweep_on_the_postgres_ledger_without_a_password_in_the_url()
    {
        var services = ComposeFile.Services(Repository.ComposeFile);
        var postgres = services.Single(s => s.Name == "postgres");
        var coordinators = services.Where(s => s.IsCoordinator).ToList();

        Assert.Equal(2, coordinators.Count);
        // The same command line but for the name each is reached by.
        string WithoutPublicHost(ComposeService c) =>
            string.Join(' ', c.Command.Where((_, i) => c.Command[i] != "--public-host" && (i == 0 || c.Command[i - 1] != "--public-host")));
        Assert.Single(coordinators.Select(WithoutPublicHost).Distinct());
        foreach (var coordinator in coordinators)
        {
            var ledger = new Uri(coordinator.Flag("--ledger")!);
            Assert.Equal("postgres", ledger.Scheme);
            Assert.Equal(postgres.Name, ledger.Host);
            // USER only: the password comes from .env through the environment, never in the URL.
            Assert.Equal(postgres.Environment["POSTGRES_USER"], ledger.UserInfo);
            Assert.Equal(postgres.Environment["POSTGRES_DB"], ledger.AbsolutePath.Trim('/'));
            Assert.Equal("${LEDGER_PASSWORD:?set LEDGER_PASSWORD in deploy/.env}", coordinator.Environment["GRIDSWEEP_LEDGER_PASSWORD"]);
            Assert.Equal("service_healthy", coordinator.Raw.Str("depends_on", "postgres", "condition"));
            Assert.Contains("runs:/runs", coordinator.Volumes);
        }
        Assert.Equal("${LEDGER_PASSWORD:?set LEDGER_PASSWORD in deploy/.env}", postgres.Environment["POSTGRES_PASSWORD"]);
        Assert.Contains("postgres-data:/var/lib/postgresql/data", postgres.Volumes);
        Assert.Matches("^postgres:16", postgres.Image);
    }

    [Fact]
    public void Each_process_keeps_its_own_cache_and_metrics_spool()
    {
        var services = ComposeFile.Services(Repository.ComposeFile);
        var sources = new List<string>();
        foreach (var service in services.Where(s => s.IsTrainer || s.IsCoordinator))
        {
            var state = service.Volumes.Single(v => v.EndsWith(":/state", StringComparison.Ordinal));
            sources.Add(state.Split(':')[0]);
            Assert.Equal("/state/influx-spool", service.Environment["GridSweep__Influx__Spool"]);
            if (service.IsTrainer)
                sources.Add(service.Volumes.Single(v => v.EndsWith(":/cache", StringComparison.Ordinal)).Split(':')[0]);
        }
        // Two processes downloading into one cache would collide, and a spool admits one writer.
        Assert.Equal(8, sources.Count);
        Assert.Equal(sources.Count, sources.Distinct().Count());
    }

    [Fact]
    public void Gpu_trainers_use_the_cuda_image_and_reserve_their_own_gpu()
    {
        var trainers = ComposeFile.Services(Repository.ComposeFile).Where(s => s.IsTrainer).ToList();
        var gpuIds = new List<string>();
        foreach (var trainer in trainers)
        {
            var profile = Assert.Single(trainer.Profiles);
            var devices = trainer.Raw.Get("deploy", "resources", "reservations", "devices").List();
            if (profile == "gpu")
            {
                Assert.Equal("deploy/docker/trainer-cuda.Dockerfile", trainer.Dockerfile);
                var request = Assert.Single(devices);
                Assert.Equal("nvidia", request.Str("driver"));
                Assert.Contains("gpu", request.Get("capabilities").List());
                var ids = request.Get("device_ids").List().OfType<string>().ToList();
                Assert.Equal(trainer.Flag("--devices")!.Split(',').Length, ids.Count);
                gpuIds.AddRange(ids);
            }
            else
            {
                Assert.Equal("cpu", profile);
                Assert.Equal("deploy/docker/trainer-cpu.Dockerfile", trainer.Dockerfile);
                Assert.Empty(devices);
                Assert.Null(trainer.Flag("--devices"));
            }
        }
        Assert.Equal(2, gpuIds.Count);
        Assert.Equal(gpuIds.Count, gpuIds.Distinct().Count());
    }

    [Fact]
    public void Grafana_mounts_the_repository_provisioning_where_the_dashboard_provider_looks()
    {
        var grafana = ComposeFile.Services(Repository.ComposeFile).Single(s => s.Name == "grafana");
        var providerPath = Provisioning.DashboardProviderPath();

        Assert.Contains("../dashboards/provisioning:/etc/grafana/provisioning:ro", grafana.Volumes);
        Assert.Contains($"../dashboards/json:{providerPath}:ro", grafana.Volumes);
        foreach (var volume in grafana.Volumes.Where(v => v.StartsWith("../", StringComparison.Ordinal)))
        {
            var source = Path.GetFullPath(Path.Combine(Repository.DeployDir, volume.Split(':')[0]));
            Assert.True(Directory.Exists(source), $"grafana mounts {volume}, but {Repository.Relative(source)} does not exist");
        }
    }

    [Fact]
    public void Both_coordinators_run_a_valid_sweep_file_from_the_repository()
    {
        var sweepFile = EnvExample.Read(Repository.EnvExample).Single(e => e.Name == "SWEEP_FILE").Value;
        var spec = SweepSpecParser.Load(Repository.PathOf($"sweeps/{sweepFile}"));
        Assert.False(string.IsNullOrEmpty(spec.Name));

        foreach (var coordinator in ComposeFile.Services(Repository.ComposeFile).Where(s => s.IsCoordinator))
        {
            Assert.Contains("../sweeps:/sweeps:ro", coordinator.Volumes);
            Assert.Equal("/sweeps/${SWEEP_FILE:-" + sweepFile + "}", coordinator.Command[1]);
            Assert.Equal("/runs", coordinator.Flag("--out"));
            Assert.Contains(coordinator.Volumes, v => v.EndsWith(":/runs", StringComparison.Ordinal));
        }
    }
}
