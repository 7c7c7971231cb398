using System.Text.RegularExpressions;

namespace GridSweep.Deploy.Tests;

/// <summary>
/// Every environment variable the deploy files set is one its container reads: GridSweep's programs per
/// their code (<see cref="AppEnvironment"/>), InfluxDB and Grafana per their images' documentation. A
/// misspelt or stale name would otherwise be ignored in silence.
/// </summary>
public sealed partial class EnvironmentVariableSpecs
{
    [Fact]
    public void The_names_derived_from_the_code_are_the_documented_settings()
    {
        var trainer = AppEnvironment.Trainer;
        var coordinator = AppEnvironment.Coordinator;

        Assert.Contains("GridSweep:Cluster", trainer.Sections);
        Assert.Contains("GridSweep:Trainer", trainer.Sections);
        foreach (var name in new[]
                 {
                     "GridSweep__Cluster__Host", "GridSweep__Cluster__Port", "GridSweep__Cluster__PublicHost",
                     "GridSweep__Cluster__SeedNodes__0", "GridSweep__Cluster__FailureDetectionSeconds",
                     "GridSweep__Trainer__Slots", "GridSweep__Trainer__Devices", "GridSweep__Trainer__NodeId",
                     "GridSweep__Influx__Url", "GridSweep__Influx__Bucket", "GridSweep__Influx__Org", "GridSweep__Influx__TokenFile",
                     "GridSweep__Influx__Api", "GridSweep__Influx__Spool",
                     "GRIDSWEEP_CACHE", "GRIDSWEEP_INFLUX_TOKEN", "DOTNET_gcServer",
                 })
            Assert.True(trainer.Reads(name), $"{trainer} should read {name}");
        Assert.Contains("GridSweep:Influx", coordinator.Sections);
        Assert.True(coordinator.Reads("GridSweep__Cluster__PublicHost"), coordinator.ToString());
        Assert.True(coordinator.Reads("GridSweep__Influx__Url"), coordinator.ToString());
        // The coordinator's program trains nothing: it binds no trainer section and has no data cache.
        Assert.False(coordinator.Reads("GridSweep__Trainer__Slots"), coordinator.ToString());
        Assert.False(coordinator.Reads("GRIDSWEEP_CACHE"), coordinator.ToString());
        // Names that are no setting are read by nobody.
        Assert.False(trainer.Reads("GridSweep__Cluster__Prot"));
        Assert.False(trainer.Reads("GridSweep__Cluster__Port__0"));
        Assert.False(trainer.Reads("INFLUX_ORG"));
    }

    [Fact]
    public void Every_variable_a_compose_service_sets_is_read_by_its_container()
    {
        var unknown = new List<string>();
        var images = new HashSet<string>();
        foreach (var service in ComposeFile.Services(Repository.ComposeFile))
        {
            var image = ImageEnvironment.For(service.Image, service.Dockerfile);
            Assert.True(image is not null, $"deploy/docker-compose.yml service {service.Name}: no known image ({service.Image ?? service.Dockerfile})");
            foreach (var name in service.Environment.Keys.Where(n => !image!.Reads(n)))
            {
                unknown.Add($"{name} (deploy/docker-compose.yml service {service.Name})");
                images.Add(image!.Description);
            }
        }
        Assert.True(unknown.Count == 0, Report(unknown, images));
    }

    [Fact]
    public void Every_variable_a_kubernetes_container_sets_is_read_by_it_or_by_kubernetes()
    {
        var unknown = new List<string>();
        var images = new HashSet<string>();
        var containers = KubernetesManifests.Containers();
        Assert.NotEmpty(containers);
        foreach (var container in containers)
        {
            var image = ImageEnvironment.For(container.Image);
            Assert.True(image is not null, $"{container.Where}: no known image ({container.Image})");
            // $(NAME) in args, command or another variable's value is expanded by Kubernetes itself.
            var expanded = container.Args.Concat(container.Command).Concat(container.Env.Select(e => e.Value ?? ""))
                .SelectMany(text => KubeReference().Matches(text).Select(m => m.Groups[1].Value))
                .ToHashSet();
            foreach (var env in container.Env.Where(e => !image!.Reads(e.Name) && !expanded.Contains(e.Name)))
            {
                unknown.Add($"{env.Name} ({container.Where})");
                images.Add(image!.Description);
            }
        }
        Assert.True(unknown.Count == 0, Report(unknown, images));
    }

    [Fact]
    public void Every_variable_a_Dockerfile_sets_is_read_by_the_program_or_the_Dockerfile()
    {
        var unknown = new List<string>();
        var images = new HashSet<string>();
        foreach (var dockerfile in Dockerfile.All())
        {
            var image = ImageEnvironment.For(null, dockerfile.Path)!;
            // PATH is the shell's; a name the Dockerfile itself uses ($APP_UID in USER, RUN) is read there.
            foreach (var name in dockerfile.EnvNames.Where(n => n != "PATH"))
            {
                if (!image.Reads(name) && !Regex.IsMatch(dockerfile.Text, $@"\$\{{?{name}\b"))
                {
                    unknown.Add($"{name} ({Repository.Relative(dockerfile.Path)})");
                    images.Add(image.Description);
                }
            }
        }
        Assert.True(unknown.Count == 0, Report(unknown, images));
    }

    [Fact]
    public void The_env_example_names_exactly_the_variables_the_compose_file_uses()
    {
        var example = EnvExample.Read(Repository.EnvExample).Select(e => e.Name).ToHashSet();
        var used = ComposeFile.InterpolatedVariables(Repository.ComposeFile);
        // Compose reads these itself from .env.
        var composeOwn = new HashSet<string> { "COMPOSE_PROJECT_NAME", "COMPOSE_PROFILES" };

        var unused = example.Except(used).Except(composeOwn).Order().ToList();
        var missing = used.Except(example).Order().ToList();

        Assert.True(unused.Count == 0, $"deploy/.env.example sets variables deploy/docker-compose.yml never uses: {string.Join(", ", unused)}");
        Assert.True(missing.Count == 0, $"deploy/docker-compose.yml uses variables deploy/.env.example does not list: {string.Join(", ", missing)}");
    }

    [Fact]
    public void The_env_example_explains_every_variable_and_holds_no_secret()
    {
        var entries = EnvExample.Read(Repository.EnvExample);
        Assert.NotEmpty(entries);
        foreach (var entry in entries)
        {
            Assert.True(entry.Comment.Length > 0, $"deploy/.env.example:{entry.Line}: {entry.Name} has no comment above it");
            Assert.True(entry.Value.Length > 0, $"deploy/.env.example:{entry.Line}: {entry.Name} has no example value");
            if (SecretName().IsMatch(entry.Name))
                Assert.True(entry.Value.StartsWith("CHANGE-ME", StringComparison.Ordinal), $"deploy/.env.example:{entry.Line}: {entry.Name} must be a CHANGE-ME placeholder, never a real secret");
        }
        var gitignore = File.ReadAllLines(Repository.PathOf(".gitignore")).Select(l => l.Trim());
        Assert.Contains("deploy/.env", gitignore);
    }

    [Fact]
    public void Grafana_gets_every_variable_its_provisioning_uses()
    {
        var needed = Provisioning.DatasourceVariables();
        var compose = ComposeFile.Services(Repository.ComposeFile).Single(s => s.Name == "grafana").Environment.Keys;
        var kube = KubernetesManifests.Containers().Single(c => c.Image.StartsWith("grafana/grafana:", StringComparison.Ordinal)).Env.Select(e => e.Name);

        Assert.Empty(needed.Except(compose));
        Assert.Empty(needed.Except(kube));
    }

    private static string Report(IEnumerable<string> unknown, IEnumerable<string> images) =>
        "variables their container never reads:\n  " + string.Join("\n  ", unknown) +
        "\nwhat those containers read:\n  " + string.Join("\n  ", images);

    [GeneratedRegex(@"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")]
    private static partial Regex KubeReference();

    [GeneratedRegex("PASSWORD|TOKEN|SECRET")]
    private static partial Regex SecretName();
}
