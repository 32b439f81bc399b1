using System.Xml.Linq;
using Quetzal.Sdk.Tests.Infrastructure;

namespace Quetzal.Sdk.Tests.Unit;

public sealed class SdkFilesTests
{
    private static readonly XElement Targets = XElement.Load(Path.Combine(Repository.SdkDirectory, "Sdk.targets"));

    [Fact]
    public void Every_task_loads_in_process_on_dotnet_msbuild_and_in_the_net_task_host_on_visual_studio()
    {
        var taskTypes = typeof(Quetzal.Sdk.Tasks.QuetzalTask).Assembly.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(Quetzal.Sdk.Tasks.QuetzalTask)) && !t.IsAbstract).Select(t => t.FullName!).Order().ToArray();
        var usingTasks = Targets.Elements("UsingTask").ToArray();
        foreach (var task in taskTypes)
        {
            var declarations = usingTasks.Where(u => (string?)u.Attribute("TaskName") == task).ToArray();
            Assert.Contains(declarations, d => (string?)d.Attribute("Condition") == "'$(MSBuildRuntimeType)' == 'Core'" && d.Attribute("Runtime") is null);
            Assert.Contains(declarations, d => (string?)d.Attribute("Condition") == "'$(MSBuildRuntimeType)' != 'Core'"
                && (string?)d.Attribute("Runtime") == "NET" && (string?)d.Attribute("TaskFactory") == "TaskHostFactory");
        }
        Assert.Equal(taskTypes.Length * 2, usingTasks.Length);
    }

    [Fact]
    public void Every_public_default_is_guarded_so_a_project_can_override_it()
    {
        var defaults = Targets.Elements("PropertyGroup").First().Elements().ToArray();
        Assert.NotEmpty(defaults);
        Assert.All(defaults, p => Assert.Equal($"'$({p.Name.LocalName})' == ''", (string?)p.Attribute("Condition")));
    }
}
