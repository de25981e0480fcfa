using Microsoft.Extensions.Configuration;
using WebhookEnterprise.AppHost;

var builder = DistributedApplication.CreateBuilder(args);

var stores = builder.AddGatewayStores();
var apiPort = builder.Configuration.GetValue("Api:Port", 4698);

// Waits for the server rather than the database: creating the database is part of migrating.
var migrate = builder.AddProject<Projects.WebhookEnterprise_Cli>("migrate")
    .WithArgs("migrate")
    .WithReference(stores.Database)
    .WaitFor(stores.Server);

builder.AddProject<Projects.WebhookEnterprise_Cli>("api")
    .WithArgs("run", "api")
    .WithHttpEndpoint(port: apiPort, name: "http", isProxied: false)
    .WithHttpHealthCheck("/health")
    .WithReference(stores.Database)
    .WaitFor(stores.Database)
    .WithReference(stores.Redis)
    .WaitFor(stores.Redis)
    .WaitForCompletion(migrate);

builder.AddProject<Projects.WebhookEnterprise_Cli>("worker")
    .WithArgs("run", "worker")
    .WithReplicas(2)
    .WithReference(stores.Database)
    .WaitFor(stores.Database)
    .WithReference(stores.Redis)
    .WaitFor(stores.Redis)
    .WaitForCompletion(migrate);

builder.Build().Run();
