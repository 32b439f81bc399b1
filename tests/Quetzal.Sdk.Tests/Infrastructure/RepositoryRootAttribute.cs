namespace Quetzal.Sdk.Tests.Infrastructure;

[AttributeUsage(AttributeTargets.Assembly)]
public sealed class RepositoryRootAttribute(string path) : Attribute
{
    public string Path { get; } = path;
}

public static class Repository
{
    public static string Root { get; } = typeof(Repository).Assembly
        .GetCustomAttributes(typeof(RepositoryRootAttribute), false).Cast<RepositoryRootAttribute>().Single().Path;

    public static string SdkDirectory => System.IO.Path.Combine(Root, "src", "Quetzal.Sdk.Msbuild", "Sdk");
    public static string TemplateContent => System.IO.Path.Combine(Root, "src", "Quetzal.Templates", "content", "quetzal-model");
    public static string Readme => System.IO.Path.Combine(Root, "README.md");
    /// <summary>A page of the documentation (docs/).</summary>
    public static string Doc(string name) => System.IO.Path.Combine(Root, "docs", name);

    /// <summary>The tasks assembly built with this test run (a copy sits beside the tests).</summary>
    public static string TasksAssembly => System.IO.Path.Combine(AppContext.BaseDirectory, "Quetzal.Sdk.Msbuild.dll");
}
