using Vireo.Cli;

// This process is vireo's own: `run` may confine it for good.
RunCommand.ConfineProcess = true;

return await CommandLine.RunAsync(args, Console.Out, Console.Error);
