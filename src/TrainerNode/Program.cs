using GridSweep.Runtime.CommandLine;
using GridSweep.TrainerNode.Hosting;

// The trainer node's own program (the trainer images run it): `gridsweep trainer` with its flags at the top level.
return await CommandLineApp.RunAsync(TrainerCommand.CreateRoot(), args);
