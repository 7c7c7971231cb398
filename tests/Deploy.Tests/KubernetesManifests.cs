namespace GridSweep.Deploy.Tests;

/// <summary>An environment variable of a Kubernetes container: a value, or <c>valueFrom</c> (null value).</summary>
internal sealed record KubeEnv(string Name, string? Value);

/// <summary>A container of a workload in deploy/k8s.</summary>
internal sealed record KubeContainer(
    string File,
    string Workload,
    string Name,
    string Image,
    IReadOnlyList<KubeEnv> Env,
    IReadOnlyList<string> Args,
    IReadOnlyList<string> Command)
{
    public string Where => $"deploy/k8s/{File} {Workload} container {Name}";

    public string? Flag(string flag)
    {
        var i = Args.ToList().IndexOf(flag);
        return i >= 0 && i + 1 < Args.Count ? Args[i + 1] : null;
    }

    /// <summary>Every value of a repeatable flag, in order (<c>--seed-node A --seed-node B</c>).</summary>
    public IReadOnlyList<string> Flags(string flag) =>
        Args.Select((a, i) => (a, i)).Where(x => x.a == flag && x.i + 1 < Args.Count).Select(x => Args[x.i + 1]).ToList();

    public string? EnvValue(string name) => Env.FirstOrDefault(e => e.Name == name)?.Value;

    /// <summary>A list setting's environment variables in order: <c>Name__0</c>, <c>Name__1</c>, ...</summary>
    public IReadOnlyList<string?> EnvList(string name) =>
        Enumerable.Range(0, Env.Count).Select(i => Env.FirstOrDefault(e => e.Name == $"{name}__{i}")).TakeWhile(e => e is not null).Select(e => e!.Value).ToList();
}

internal static class KubernetesManifests
{
    /// <summary>Every file in deploy/k8s that holds Kubernetes objects (the kustomization is not one).</summary>
    public static IEnumerable<string> Files() =>
        Directory.EnumerateFiles(Repository.K8sDir, "*.yaml")
            .Where(f => Path.GetFileName(f) != "kustomization.yaml")
            .Order(StringComparer.Ordinal);

    public static IEnumerable<(string File, object Object)> Objects() =>
        Files().SelectMany(f => Yaml.LoadAll(f).Select(o => (Path.GetFileName(f), o)));

    public static IReadOnlyList<KubeContainer> Containers()
    {
        var containers = new List<KubeContainer>();
        foreach (var (file, obj) in Objects())
        {
            var pod = obj.Get("spec", "template", "spec");
            if (pod is null)
                continue;
            var workload = $"{obj.Str("kind")}/{obj.Str("metadata", "name")}";
            foreach (var c in pod.Get("initContainers").List().Concat(pod.Get("containers").List()))
            {
                containers.Add(new KubeContainer(
                    file,
                    workload,
                    c.Str("name") ?? "?",
                    c.Str("image") ?? "",
                    c.Get("env").List().Select(e => new KubeEnv(e.Str("name") ?? "", e.Str("value"))).ToList(),
                    c.Get("args").List().Select(a => a?.ToString() ?? "").ToList(),
                    c.Get("command").List().Select(a => a?.ToString() ?? "").ToList()));
            }
        }
        return containers;
    }
}
