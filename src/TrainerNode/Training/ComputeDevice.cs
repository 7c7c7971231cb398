using TorchSharp;

namespace GridSweep.TrainerNode.Training;

/// <summary>Turns a device setting (<c>auto</c>, <c>cpu</c>, <c>cuda</c>, <c>cuda:N</c>) into a Torch device, once.</summary>
public static class ComputeDevice
{
    public const string Allowed = "auto, cpu, cuda, cuda:N";

    public static torch.Device Resolve(string setting)
    {
        var value = setting.Trim().ToLowerInvariant();
        if (value is "auto")
            return torch.cuda.is_available() ? torch.CUDA : torch.CPU;
        if (value is "cpu")
            return torch.CPU;
        if (value is "cuda" || value.StartsWith("cuda:", StringComparison.Ordinal))
        {
            var index = 0;
            if (value.Length > 4 && (!int.TryParse(value.AsSpan(5), out index) || index < 0))
                throw new ArgumentException($"device '{setting}' is not valid; allowed: {Allowed}");
            if (!torch.cuda.is_available())
                throw new ArgumentException(
                    $"device '{setting}' asked for, but CUDA is not available: this build uses the CPU TorchSharp package " +
                    "(rebuild with -p:TorchBackend=cuda on a machine with an NVIDIA driver), or no GPU is visible");
            var count = torch.cuda.device_count();
            if (index >= count)
                throw new ArgumentException($"device '{setting}' asked for, but this machine has {count} CUDA device(s)");
            return torch.device(DeviceType.CUDA, index);
        }
        throw new ArgumentException($"device '{setting}' is not valid; allowed: {Allowed}");
    }
}
