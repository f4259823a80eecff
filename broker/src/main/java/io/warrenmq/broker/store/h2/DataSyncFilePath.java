package io.warrenmq.broker.store.h2;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import org.h2.store.fs.FilePath;
import org.h2.store.fs.FilePathWrapper;

/**
 * An H2 file system ({@value #SCHEME}{@code :}) whose files sync data only: MVStore asks for {@code
 * force(true)} (fsync, data and all metadata); this gives it {@code force(false)} (fdatasync),
 * which still flushes the data and the file size — all recovery needs — at about half the cost on
 * ext4. The store's sync is on every publisher-confirm path, so this is the difference between one
 * and two syncs' worth of latency per confirm batch. Databases make the same choice (PostgreSQL's
 * default {@code wal_sync_method} on Linux is fdatasync).
 */
public final class DataSyncFilePath extends FilePathWrapper {

  public static final String SCHEME = "warren-datasync";

  static {
    FilePath.register(new DataSyncFilePath());
  }

  /** The file name MVStore opens for {@code path}. */
  static String fileName(String path) {
    return SCHEME + ":" + path;
  }

  @Override
  public String getScheme() {
    return SCHEME;
  }

  @Override
  public FileChannel open(String mode) throws IOException {
    return new DataSyncChannel(getBase().open(mode));
  }

  /** A file channel that delegates everything, syncing data only. */
  private static final class DataSyncChannel extends FileChannel {
    private final FileChannel base;

    DataSyncChannel(FileChannel base) {
      this.base = base;
    }

    @Override
    public void force(boolean metaData) throws IOException {
      base.force(false);
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
      return base.read(dst);
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
      return base.read(dsts, offset, length);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
      return base.write(src);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
      return base.write(srcs, offset, length);
    }

    @Override
    public long position() throws IOException {
      return base.position();
    }

    @Override
    public FileChannel position(long newPosition) throws IOException {
      base.position(newPosition);
      return this;
    }

    @Override
    public long size() throws IOException {
      return base.size();
    }

    @Override
    public FileChannel truncate(long size) throws IOException {
      base.truncate(size);
      return this;
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target)
        throws IOException {
      return base.transferTo(position, count, target);
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count)
        throws IOException {
      return base.transferFrom(src, position, count);
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
      return base.read(dst, position);
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
      return base.write(src, position);
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
      return base.map(mode, position, size);
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) throws IOException {
      return base.lock(position, size, shared);
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
      return base.tryLock(position, size, shared);
    }

    @Override
    protected void implCloseChannel() throws IOException {
      base.close();
    }
  }
}
