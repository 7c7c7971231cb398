System.Console.WriteLine(GridSweep.TrainerNode.NativeCheck.Probe());
