using TorchSharp;

namespace GridSweep.TrainerNode.Tests.Training;

/// <summary>
/// TorchSharp's shim asks for GLIBCXX_3.4.32, which Debian 12 / Ubuntu 22.04 lack; the build marks that
/// need weak in its output copy (build/TorchSharpNatives.targets). These tests prove it on this machine.
/// </summary>
public sealed class NativeLibrarySpecs
{
    [Fact]
    public void LibTorch_loads_and_computes()
    {
        using var ones = torch.ones(3);
        Assert.Equal(3f, ones.sum().item<float>());
    }

    [SkippableFact]
    public void The_shim_beside_the_tests_marks_the_missing_glibcxx_version_weak()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the GLIBCXX fix is for Linux (ELF) builds only");
        var shim = Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so");
        Assert.True(File.Exists(shim), $"{shim} is missing");
        var versionNeeds = ReadElfVersions(shim);
        Assert.Contains(versionNeeds, line => line.Contains("Name: GLIBCXX_3.4.32") && line.Contains("Flags: WEAK"));
    }

    [SkippableFact]
    public void The_nuget_cache_copy_is_left_unchanged()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the linux-x64 shim in the NuGet cache exists on Linux only");
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var original = Path.Combine(packages, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.True(File.Exists(original), $"{original} is missing; restore the solution first");
        Assert.Contains(ReadElfVersions(original), line => line.Contains("Name: GLIBCXX_3.4.32") && line.Contains("Flags: none"));
    }

    private static List<string> ReadElfVersions(string library)
    {
        var readelf = ChildProcess.FindExecutable("readelf")
            ?? throw new InvalidOperationException("readelf (binutils) is needed: apt-get install binutils");
        var result = ChildProcess.Run(readelf, ["-V", library]);
        Assert.True(result.ExitCode == 0, result.Report);
        return result.Output.Split('\n').ToList();
    }
}
