using TTL.Cli;

return CliApp.Run(args);
