using GridSweep.Coordinator.Commands;
using GridSweep.Runtime.CommandLine;
using GridSweep.TrainerNode.Hosting;

// gridsweep: the coordinator's commands with trainer slots in this process, and the trainer node as `gridsweep trainer`.
return await CommandLineApp.RunAsync(GridSweepCommands.Create(new LocalTrainers(), TrainerCommand.Create()), args);
