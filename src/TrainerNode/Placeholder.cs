namespace GridSweep.TrainerNode;
public static class NativeCheck { public static string Probe() { using var t = TorchSharp.torch.ones(3); return t.sum().item<float>().ToString(); } }
