using Quetzal.Sdk.Diagnostics;

namespace Quetzal.Sdk.Aws;

/// <summary>
/// One publish or teardown of a model at a time, from its folder: an exclusive lock on a file under obj/ (the
/// operating system releases it if the process dies). A second one waits, saying so, then gives up with QTZ4070
/// before it has changed anything.
/// </summary>
public sealed class PublishLock : IDisposable
{
    private readonly FileStream _file;

    private PublishLock(FileStream file) => _file = file;

    public static PublishLock Acquire(string path, string model, TimeSpan timeout, IPublishLog log, CancellationToken cancellation)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var deadline = DateTime.UtcNow + timeout;
        var said = false;
        while (true)
        {
            try
            {
                var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                file.SetLength(0);
                using (var writer = new StreamWriter(file, leaveOpen: true)) writer.Write(Environment.ProcessId);
                return new PublishLock(file);
            }
            catch (IOException)
            {
                if (DateTime.UtcNow >= deadline) throw new QuetzalException(Codes.PublishLocked, model, path, (int)timeout.TotalSeconds);
                if (!said) log.Info($"Quetzal: another publish or teardown of {model} is running; waiting for it ({path})");
                said = true;
                cancellation.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(500));
                cancellation.ThrowIfCancellationRequested();
            }
        }
    }

    public void Dispose() => _file.Dispose();
}
