package dev.finetune.hub;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A response body as an InputStream whose reads fail after {@code idle} without data. java.net.http has no
 * read timeout once headers have arrived (and an interrupt does not unblock its own stream), so a CDN
 * connection that goes silent would otherwise hang a Spark task forever; with this it becomes an ordinary
 * IOException that the download loop resumes from with a Range request.
 */
final class IdleTimeoutBody extends InputStream implements HttpResponse.BodySubscriber<InputStream> {
    private static final Object END = new Object();
    private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private final long idleNanos;
    private volatile Flow.Subscription subscription;
    private volatile boolean closed;
    private Iterator<ByteBuffer> pending = Collections.emptyIterator();
    private ByteBuffer current;
    private boolean done;

    private IdleTimeoutBody(Duration idle) {
        this.idleNanos = idle.toNanos();
    }

    static HttpResponse.BodyHandler<InputStream> handler(Duration idle) {
        return info -> new IdleTimeoutBody(idle);
    }

    @Override
    public CompletionStage<InputStream> getBody() {
        return CompletableFuture.completedFuture(this);
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
        subscription = s;
        if (closed) {
            s.cancel();
        } else {
            s.request(1);
        }
    }

    @Override
    public void onNext(List<ByteBuffer> item) {
        queue.add(item);
    }

    @Override
    public void onError(Throwable t) {
        queue.add(t);
    }

    @Override
    public void onComplete() {
        queue.add(END);
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        ByteBuffer buf = next();
        if (buf == null) {
            return -1;
        }
        int n = Math.min(len, buf.remaining());
        buf.get(b, off, n);
        return n;
    }

    @SuppressWarnings("unchecked")
    private ByteBuffer next() throws IOException {
        while (current == null || !current.hasRemaining()) {
            if (closed) {
                throw new IOException("response body closed");
            }
            if (pending.hasNext()) {
                current = pending.next();
                continue;
            }
            if (done) {
                return null;
            }
            Object o;
            try {
                o = queue.poll(idleNanos, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                close();
                throw new InterruptedIOException("interrupted while reading a response");
            }
            if (o == null) {
                close();
                throw new HttpTimeoutException("no data for " + TimeUnit.NANOSECONDS.toMillis(idleNanos) + " ms");
            }
            if (o == END) {
                done = true;
                return null;
            }
            if (o instanceof Throwable) {
                done = true;
                Throwable t = (Throwable) o;
                throw t instanceof IOException ? (IOException) t : new IOException(t.toString(), t);
            }
            pending = ((List<ByteBuffer>) o).iterator();
            subscription.request(1);
        }
        return current;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Flow.Subscription s = subscription;
            if (s != null) {
                s.cancel();
            }
            queue.clear();
        }
    }
}
