using GridSweep.Coordinator.Commands;
using GridSweep.Runtime.CommandLine;
using GridSweep.TrainerNode.Hosting;

// gridsweep: the coordinator's commands with trainer slots in this process, the trainer node as `gridsweep trainer`,
// and `gridsweep evaluate`, which needs TorchSharp to load a kept model.
return await CommandLineApp.RunAsync(GridSweepCommands.Create(new LocalTrainers(), [TrainerCommand.Create(), EvaluateCommand.Create()]), args);
