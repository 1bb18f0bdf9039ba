using Vireo.LabTool;

return await LabCommandLine.RunAsync(args, Console.Out, Console.Error);
