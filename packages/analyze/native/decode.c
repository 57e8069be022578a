/*
 * In-process audio decoding for the analyze service: the same PCM the ffmpeg CLI writes for
 * `-map M -ac C -ar R -c:a pcm_s16le -f s16le`, decoded with ffmpeg's libraries in this process,
 * so that the programme pass need not move every byte through a pipe.
 *
 * Each open input has a thread of its own ("fp-decode"), which opens, reads and frees it, at a
 * lower priority than the process (nice +10 on Linux): on one core, the service's requests win the
 * CPU from a running analysis, which takes what they leave. Not the libuv threadpool: a thread
 * there cannot lower its priority and restore it without privileges, and a stalled network read
 * would hold one of its four threads (which file I/O shares) for up to the read timeout.
 *
 *   open(url, { streamIndex | audioIndex, channels, sampleRate, protocolWhitelist,
 *               formatWhitelist, rwTimeoutUs? }) -> Promise<handle>
 *   read(handle, into?) -> Promise<Buffer | null>
 *                         about 64k frames of interleaved s16 (null at the end): into `into`, a
 *                         Buffer of the caller's that it reuses (the answer is a view of it), or,
 *                         without one (or for one frame larger than it), into a new Buffer
 *   close(handle)                            frees everything; safe twice and during a read
 *
 * A pull API: JavaScript asks for the next block when it is ready for it (backpressure) and may
 * stop at any time. One read per handle at a time. Every error rejects with a message naming the
 * input, what failed, libav's error string and the last error libav logged.
 */
#define _GNU_SOURCE /* pthread_setname_np */
#define NAPI_VERSION 8
#include <node_api.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>

/* Frames one read aims for (a read may end a little short, never long unless one frame is). */
#define READ_FRAMES 65536
/* How much nicer than the process the decoding thread runs: CFS gives a nice +10 thread about a
 * tenth of a core against one at the process's own priority, and all of it when that one waits. */
#define NICER 10

typedef struct job job;

typedef struct decoder {
    char *url;
    AVFormatContext *fmt;
    AVCodecContext *dec;
    SwrContext *swr;
    AVPacket *pkt;
    AVFrame *frame;
    /* Samples of reads without a buffer of the caller's, reused from one read to the next. */
    uint8_t *out;
    size_t out_frames;
    int stream;
    int channels, rate;
    /* What the resampler was set up for; it is set up again if a frame differs. */
    AVChannelLayout in_layout;
    int in_format, in_rate;
    int have_frame;   /* `frame` holds decoded samples not yet converted */
    int sent_eof;     /* the demuxer ended and the decoder was told so */
    int decoder_done; /* the decoder has given its last frame */
    int ended;        /* the resampler has been flushed: nothing more to read */
    int failed;       /* a read failed: later reads reject too */
    int busy;         /* a read is on the decoder's thread (JavaScript's side only) */
    int closed;       /* close() was called (JavaScript's side only) */
    atomic_int closing; /* tells libav's blocking I/O and the read loop to give up */
    /* The decoder's thread and what it is given to do. */
    pthread_mutex_t lock;
    pthread_cond_t wake;
    job *pending; /* guarded by `lock`: the next open or read */
    int quit;     /* guarded by `lock`: the thread frees libav and ends once idle */
    napi_threadsafe_function done; /* hands each finished job back to JavaScript */
    int done_gone; /* guarded by `lock`: `done` was finalized (the environment is going away) */
    /* The thread's, JavaScript's (its handle, or the open in flight) and `done`'s. */
    atomic_int refs;
} decoder;

struct job {
    int open; /* 1: open the input, 0: read a block */
    napi_deferred deferred;
    napi_ref handle; /* read: keeps the handle (and so the decoder) alive while in flight */
    napi_ref into;   /* read: the caller's buffer, kept alive while it is written */
    uint8_t *base;   /* where the read writes: the caller's buffer or the decoder's own */
    size_t cap;      /* frames room at `base` */
    int own;         /* 1: `base` is the decoder's own memory, copied into a new Buffer */
    decoder *d;
    /* open's arguments */
    char *protocols, *formats;
    int stream_index, audio_index, channels, rate;
    int64_t rw_timeout;
    /* results */
    int failed;
    char message[1024];
    size_t bytes;
};

/* ---------------------------------------------------------------- libav's log -- */

/* The last error libav logged on this thread, for the messages: libav's error codes alone are
 * vague ("Invalid argument" for a demuxer not on the whitelist). Nothing is printed. */
static _Thread_local char last_log[512];

static void log_callback(void *avcl, int level, const char *fmt, va_list vl)
{
    if (level > AV_LOG_ERROR) return;
    char line[512];
    int print_prefix = 0;
    av_log_format_line2(avcl, level, fmt, vl, line, sizeof(line), &print_prefix);
    size_t n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ')) line[--n] = 0;
    if (n > 0) memcpy(last_log, line, n + 1);
}

static void fail(job *j, const char *url, const char *what, int err)
{
    char text[AV_ERROR_MAX_STRING_SIZE] = "";
    if (err) av_strerror(err, text, sizeof(text));
    snprintf(j->message, sizeof(j->message), "%s: %s%s%s%s%s%s", url, what, err ? ": " : "", text,
             last_log[0] ? " (" : "", last_log, last_log[0] ? ")" : "");
    j->failed = 1;
}

/* ---------------------------------------------------------------- the decoder -- */

static int interrupted(void *opaque)
{
    return atomic_load(&((decoder *)opaque)->closing);
}

/* Frees what libav holds; the struct and its url stay until the handle is collected. */
static void release(decoder *d)
{
    av_frame_free(&d->frame);
    av_packet_free(&d->pkt);
    swr_free(&d->swr);
    avcodec_free_context(&d->dec);
    avformat_close_input(&d->fmt);
    av_channel_layout_uninit(&d->in_layout);
    free(d->out);
    d->out = NULL;
    d->out_frames = 0;
    d->have_frame = 0;
}

/* Drops one of the decoder's three references; the last frees it (libav is freed by then). */
static void unref(decoder *d)
{
    if (atomic_fetch_sub(&d->refs, 1) != 1) return;
    pthread_mutex_destroy(&d->lock);
    pthread_cond_destroy(&d->wake);
    free(d->url);
    free(d);
}

/* Asks the decoder's thread to end once its current job is done (from any thread). */
static void stop(decoder *d)
{
    atomic_store(&d->closing, 1);
    pthread_mutex_lock(&d->lock);
    d->quit = 1;
    pthread_cond_signal(&d->wake);
    pthread_mutex_unlock(&d->lock);
}

/* The resampler for `f`'s format: interleaved s16 at the asked rate and channels. Same channel
 * count: the input's layout is kept (no remix, as the CLI's `-ac` keeps it); another count: the
 * default layout for it. */
static int setup_resampler(decoder *d, const AVFrame *f)
{
    AVChannelLayout in = {0}, out = {0};
    int r;
    if (f->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC || !av_channel_layout_check(&f->ch_layout))
        av_channel_layout_default(&in, f->ch_layout.nb_channels);
    else if ((r = av_channel_layout_copy(&in, &f->ch_layout)) < 0)
        return r;
    if (in.nb_channels == d->channels)
        r = av_channel_layout_copy(&out, &in);
    else
        av_channel_layout_default(&out, d->channels), r = 0;
    if (r >= 0) {
        swr_free(&d->swr);
        r = swr_alloc_set_opts2(&d->swr, &out, AV_SAMPLE_FMT_S16, d->rate, &in, f->format,
                                f->sample_rate, 0, NULL);
    }
    if (r >= 0) r = swr_init(d->swr);
    av_channel_layout_uninit(&out);
    if (r < 0) {
        av_channel_layout_uninit(&in);
        swr_free(&d->swr);
        return r;
    }
    av_channel_layout_uninit(&d->in_layout);
    d->in_layout = in;
    d->in_format = f->format;
    d->in_rate = f->sample_rate;
    return 0;
}

static int resampler_fits(const decoder *d, const AVFrame *f)
{
    return d->swr && d->in_format == f->format && d->in_rate == f->sample_rate &&
           d->in_layout.nb_channels == f->ch_layout.nb_channels &&
           (f->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC ||
            !av_channel_layout_compare(&d->in_layout, &f->ch_layout));
}

/* Opens the input and its decoder, on the decoder's thread. */
static void open_input(job *j, decoder *d)
{
    const char *what = "cannot open";
    int r = 0;
    AVDictionary *opts = NULL;
    if (!(d->fmt = avformat_alloc_context())) {
        r = AVERROR(ENOMEM);
        goto failed;
    }
    d->fmt->interrupt_callback.callback = interrupted;
    d->fmt->interrupt_callback.opaque = d;
    /* The CLI's -protocol_whitelist, -format_whitelist and -rw_timeout go the same way. */
    av_dict_set(&opts, "protocol_whitelist", j->protocols, 0);
    av_dict_set(&opts, "format_whitelist", j->formats, 0);
    if (j->rw_timeout > 0) av_dict_set_int(&opts, "rw_timeout", j->rw_timeout, 0);
    r = avformat_open_input(&d->fmt, d->url, NULL, &opts); /* frees fmt on failure */
    av_dict_free(&opts);
    if (r < 0) goto failed;
    what = "cannot read the stream information";
    if ((r = avformat_find_stream_info(d->fmt, NULL)) < 0) goto failed;

    what = "no such audio stream";
    for (unsigned i = 0, audio = 0; i < d->fmt->nb_streams; i++) {
        if (d->fmt->streams[i]->codecpar->codec_type != AVMEDIA_TYPE_AUDIO) continue;
        if ((j->stream_index >= 0 && (int)i == j->stream_index) ||
            (j->audio_index >= 0 && (int)audio == j->audio_index))
            d->stream = (int)i;
        audio++;
    }
    if (d->stream < 0) {
        r = AVERROR_STREAM_NOT_FOUND;
        goto failed;
    }
    for (unsigned i = 0; i < d->fmt->nb_streams; i++)
        if ((int)i != d->stream) d->fmt->streams[i]->discard = AVDISCARD_ALL;
    AVStream *st = d->fmt->streams[d->stream];

    what = "no decoder for the stream";
    const AVCodec *codec = avcodec_find_decoder(st->codecpar->codec_id);
    if (!codec) {
        r = AVERROR_DECODER_NOT_FOUND;
        goto failed;
    }
    what = "cannot open the decoder";
    if (!(d->dec = avcodec_alloc_context3(codec))) {
        r = AVERROR(ENOMEM);
        goto failed;
    }
    if ((r = avcodec_parameters_to_context(d->dec, st->codecpar)) < 0) goto failed;
    d->dec->pkt_timebase = st->time_base;
    if ((r = avcodec_open2(d->dec, codec, NULL)) < 0) goto failed;
    d->pkt = av_packet_alloc();
    d->frame = av_frame_alloc();
    if (!d->pkt || !d->frame) {
        r = AVERROR(ENOMEM);
        goto failed;
    }
    return;
failed:
    fail(j, d->url, what, r);
}

/* The decoder's own memory for at least `frames` frames, as the read's target. */
static int use_own(job *j, decoder *d, size_t frames, size_t frame_bytes)
{
    if (frames > d->out_frames) {
        uint8_t *grown = realloc(d->out, frames * frame_bytes);
        if (!grown) return AVERROR(ENOMEM);
        d->out = grown;
        d->out_frames = frames;
    }
    j->base = d->out;
    j->cap = frames;
    j->own = 1;
    return 0;
}

/* Room for `need` more frames after `got`: 0 when there is, 1 when the read ends here (the frame
 * starts the next one), or an error. One frame larger than the whole target goes to the decoder's
 * own memory, grown to it. */
static int room(job *j, decoder *d, size_t got, size_t need, size_t frame_bytes)
{
    if (got + need <= j->cap) return 0;
    if (got > 0) return 1;
    return use_own(j, d, need, frame_bytes);
}

/* Decodes the next block into the job's target, on the decoder's thread. */
static void read_block(job *j, decoder *d)
{
    const size_t frame_bytes = 2 * (size_t)d->channels;
    size_t got = 0;
    const char *what = "cannot decode";
    int r = j->base ? 0 : use_own(j, d, READ_FRAMES, frame_bytes);
    if (r < 0) goto failed;
    while (!d->ended && !atomic_load(&d->closing)) {
        if (d->have_frame) {
            what = "cannot convert the samples";
            if (!resampler_fits(d, d->frame) && (r = setup_resampler(d, d->frame)) < 0) goto failed;
            int need = swr_get_out_samples(d->swr, d->frame->nb_samples);
            if (need < 0) {
                r = need;
                goto failed;
            }
            if ((r = room(j, d, got, (size_t)need, frame_bytes)) < 0) goto failed;
            if (r == 1) break; /* this frame starts the next read */
            uint8_t *dst = j->base + got * frame_bytes;
            int n = swr_convert(d->swr, &dst, (int)(j->cap - got), (const uint8_t **)d->frame->extended_data,
                                d->frame->nb_samples);
            av_frame_unref(d->frame);
            d->have_frame = 0;
            if (n < 0) {
                r = n;
                goto failed;
            }
            got += (size_t)n;
            if (got >= j->cap) break;
        } else if (!d->decoder_done) {
            r = avcodec_receive_frame(d->dec, d->frame);
            if (r >= 0) {
                d->have_frame = 1;
            } else if (r == AVERROR_EOF || (r != AVERROR(EAGAIN) && d->sent_eof)) {
                d->decoder_done = 1;
            } else if (r != AVERROR(EAGAIN)) {
                /* A frame that does not decode is skipped, as the CLI skips it. */
                if (r == AVERROR(ENOMEM)) goto failed;
            } else if (d->sent_eof) {
                d->decoder_done = 1;
            } else {
                what = "cannot read";
                r = av_read_frame(d->fmt, d->pkt);
                if (r == AVERROR_EOF) {
                    avcodec_send_packet(d->dec, NULL);
                    d->sent_eof = 1;
                    continue;
                }
                if (r < 0) goto failed;
                if (d->pkt->stream_index == d->stream) {
                    r = avcodec_send_packet(d->dec, d->pkt);
                    /* Corrupt packets are skipped, as the CLI skips them. */
                    if (r == AVERROR(ENOMEM)) {
                        av_packet_unref(d->pkt);
                        what = "cannot decode";
                        goto failed;
                    }
                }
                av_packet_unref(d->pkt);
            }
        } else {
            /* The decoder is done: what the resampler still holds ends the audio. */
            if (d->swr) {
                what = "cannot convert the samples";
                int need = swr_get_out_samples(d->swr, 0);
                if (need > 0) {
                    if ((r = room(j, d, got, (size_t)need, frame_bytes)) < 0) goto failed;
                    if (r == 1) break;
                    uint8_t *dst = j->base + got * frame_bytes;
                    int n = swr_convert(d->swr, &dst, (int)(j->cap - got), NULL, 0);
                    if (n < 0) {
                        r = n;
                        goto failed;
                    }
                    got += (size_t)n;
                }
            }
            d->ended = 1;
        }
    }
    j->bytes = got * frame_bytes;
    return;
failed:
    if (atomic_load(&d->closing)) return; /* closed meanwhile: no error to report */
    fail(j, d->url, what, r);
    d->failed = 1;
}

/* ------------------------------------------------------- the decoder's thread -- */

/* Runs each job it is given, hands it back to JavaScript, and frees libav when told to quit (or
 * after an open that failed). Once `done` is finalized (the environment is going away, which does
 * not wait for this thread), `done` is not touched again and a finished job is left: nothing waits
 * for it. `lock` is held around each use of `done`, so that it cannot be finalized meanwhile. */
static void *decoding_thread(void *data)
{
    decoder *d = data;
#ifdef __linux__
    /* Linux's setpriority takes a thread id and then nices that thread alone. */
    pthread_setname_np(pthread_self(), "fp-decode");
    errno = 0;
    int nice = getpriority(PRIO_PROCESS, 0);
    if (errno == 0) setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), nice + NICER > 19 ? 19 : nice + NICER);
#endif
    for (;;) {
        pthread_mutex_lock(&d->lock);
        while (!d->pending && !d->quit) pthread_cond_wait(&d->wake, &d->lock);
        job *j = d->pending;
        d->pending = NULL;
        pthread_mutex_unlock(&d->lock);
        if (!j) break; /* told to quit, nothing pending */
        last_log[0] = 0;
        if (j->open) {
            open_input(j, d);
            if (j->failed) stop(d);
        } else {
            read_block(j, d);
        }
        pthread_mutex_lock(&d->lock);
        int handed_back = !d->done_gone && napi_call_threadsafe_function(d->done, j, napi_tsfn_blocking) == napi_ok;
        pthread_mutex_unlock(&d->lock);
        if (!handed_back) break;
    }
    release(d);
    pthread_mutex_lock(&d->lock);
    if (!d->done_gone) napi_release_threadsafe_function(d->done, napi_tsfn_release);
    pthread_mutex_unlock(&d->lock);
    unref(d);
    return NULL;
}

/* `done` is finalized: after the thread released it, or as the environment goes away. */
static void done_finalized(napi_env env, void *data, void *hint)
{
    (void)env;
    (void)hint;
    decoder *d = data;
    pthread_mutex_lock(&d->lock);
    d->done_gone = 1;
    pthread_mutex_unlock(&d->lock);
    stop(d);
    unref(d);
}

/* ---------------------------------------------------------------- Node-API -- */

#define CALL(env, call)                                                                             \
    do {                                                                                            \
        if ((call) != napi_ok) {                                                                    \
            const napi_extended_error_info *info_ = NULL;                                           \
            napi_get_last_error_info((env), &info_);                                                \
            napi_throw_error((env), NULL, info_ && info_->error_message ? info_->error_message : #call); \
            return NULL;                                                                            \
        }                                                                                           \
    } while (0)

static void free_job(job *j)
{
    free(j->protocols);
    free(j->formats);
    free(j);
}

static napi_value error_value(napi_env env, const char *message)
{
    napi_value text, err;
    napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &text);
    napi_create_error(env, NULL, text, &err);
    return err;
}

/* The handle was collected: its thread, if still waiting for work, ends. */
static void finalize_decoder(napi_env env, void *data, void *hint)
{
    (void)env;
    (void)hint;
    decoder *d = data;
    stop(d);
    unref(d);
}

static void open_complete(napi_env env, job *j)
{
    decoder *d = j->d;
    napi_value value;
    if (j->failed) {
        napi_reject_deferred(env, j->deferred, error_value(env, j->message));
        unref(d); /* no handle will hold it; the thread has been told to quit */
    } else if (napi_create_external(env, d, finalize_decoder, NULL, &value) != napi_ok) {
        stop(d);
        unref(d);
        napi_reject_deferred(env, j->deferred, error_value(env, "cannot create the decoder's handle"));
    } else {
        napi_resolve_deferred(env, j->deferred, value);
    }
}

/* `into.subarray(0, bytes)`: the part of the caller's buffer the read wrote. */
static napi_status view(napi_env env, napi_ref into, size_t bytes, napi_value *result)
{
    napi_value buffer, subarray, args[2];
    napi_status s = napi_get_reference_value(env, into, &buffer);
    if (s == napi_ok) s = napi_get_named_property(env, buffer, "subarray", &subarray);
    if (s == napi_ok) s = napi_create_uint32(env, 0, &args[0]);
    if (s == napi_ok) s = napi_create_double(env, (double)bytes, &args[1]);
    if (s == napi_ok) s = napi_call_function(env, buffer, subarray, 2, args, result);
    return s;
}

static void read_complete(napi_env env, job *j)
{
    decoder *d = j->d;
    d->busy = 0;
    napi_value value;
    if (d->closed) {
        napi_reject_deferred(env, j->deferred, error_value(env, "the decoder was closed during the read"));
    } else if (j->failed) {
        napi_reject_deferred(env, j->deferred, error_value(env, j->message));
    } else if (j->bytes == 0) {
        napi_get_null(env, &value);
        napi_resolve_deferred(env, j->deferred, value);
    } else {
        napi_status s;
        if (j->own) {
            void *copy;
            s = napi_create_buffer_copy(env, j->bytes, j->base, &copy, &value);
        } else {
            s = view(env, j->into, j->bytes, &value);
        }
        if (s == napi_ok)
            napi_resolve_deferred(env, j->deferred, value);
        else
            napi_reject_deferred(env, j->deferred, error_value(env, "cannot create the buffer"));
    }
    napi_delete_reference(env, j->handle);
    if (j->into) napi_delete_reference(env, j->into);
}

/* A finished job, back on JavaScript's thread (env is NULL when the environment is going away:
 * then nothing is answered). An idle decoder does not keep the process alive. */
static void job_done(napi_env env, napi_value js_cb, void *context, void *data)
{
    (void)js_cb;
    decoder *d = context;
    job *j = data;
    if (env) {
        napi_unref_threadsafe_function(env, d->done);
        if (j->open)
            open_complete(env, j);
        else
            read_complete(env, j);
    }
    free_job(j);
}

/* A string property (malloc'd), or NULL when absent or not a string. */
static char *string_property(napi_env env, napi_value obj, const char *name)
{
    napi_value v;
    napi_valuetype type;
    size_t len;
    if (napi_get_named_property(env, obj, name, &v) != napi_ok || napi_typeof(env, v, &type) != napi_ok ||
        type != napi_string || napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok)
        return NULL;
    char *s = malloc(len + 1);
    if (s && napi_get_value_string_utf8(env, v, s, len + 1, &len) != napi_ok) {
        free(s);
        return NULL;
    }
    return s;
}

/* A number property, or `fallback` when absent or not a number. */
static double number_property(napi_env env, napi_value obj, const char *name, double fallback)
{
    napi_value v;
    napi_valuetype type;
    double x;
    if (napi_get_named_property(env, obj, name, &v) != napi_ok || napi_typeof(env, v, &type) != napi_ok ||
        type != napi_number || napi_get_value_double(env, v, &x) != napi_ok)
        return fallback;
    return x;
}

/* A decoder for `url` (taken) with its thread started on `first`, its open; NULL on failure (then
 * `url` is freed). */
static decoder *start_decoder(napi_env env, char *url, int channels, int rate, job *first)
{
    decoder *d = calloc(1, sizeof(*d));
    napi_value name;
    if (!d) {
        free(url);
        return NULL;
    }
    d->url = url;
    d->channels = channels;
    d->rate = rate;
    d->stream = -1;
    atomic_init(&d->refs, 3);
    d->pending = first;
    first->d = d;
    pthread_mutex_init(&d->lock, NULL);
    pthread_cond_init(&d->wake, NULL);
    pthread_attr_t attr;
    pthread_t thread;
    int started = 0;
    if (napi_create_string_utf8(env, "frameproof:decode", NAPI_AUTO_LENGTH, &name) == napi_ok &&
        napi_create_threadsafe_function(env, NULL, NULL, name, 0, 1, d, done_finalized, d, job_done, &d->done) ==
            napi_ok) {
        if (pthread_attr_init(&attr) == 0) {
            pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
            started = pthread_create(&thread, &attr, decoding_thread, d) == 0;
            pthread_attr_destroy(&attr);
        }
        if (!started) {
            /* `done`'s finalizer frees the decoder, holding the last reference. */
            atomic_store(&d->refs, 1);
            napi_release_threadsafe_function(d->done, napi_tsfn_release);
            return NULL;
        }
    }
    if (!started) {
        pthread_mutex_destroy(&d->lock);
        pthread_cond_destroy(&d->wake);
        free(d->url);
        free(d);
        return NULL;
    }
    return d;
}

static napi_value js_open(napi_env env, napi_callback_info info)
{
    size_t argc = 2;
    napi_value argv[2], promise;
    CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
    napi_valuetype type = napi_undefined;
    if (argc == 2) CALL(env, napi_typeof(env, argv[1], &type));
    if (argc < 2 || type != napi_object) {
        napi_throw_type_error(env, NULL, "open(url, options)");
        return NULL;
    }
    job *j = calloc(1, sizeof(*j));
    if (!j) {
        napi_throw_error(env, NULL, "out of memory");
        return NULL;
    }
    j->open = 1;
    size_t len;
    char *url = NULL;
    if (napi_get_value_string_utf8(env, argv[0], NULL, 0, &len) == napi_ok && (url = malloc(len + 1)))
        napi_get_value_string_utf8(env, argv[0], url, len + 1, &len);
    j->protocols = string_property(env, argv[1], "protocolWhitelist");
    j->formats = string_property(env, argv[1], "formatWhitelist");
    j->stream_index = (int)number_property(env, argv[1], "streamIndex", -1);
    j->audio_index = (int)number_property(env, argv[1], "audioIndex", -1);
    int channels = (int)number_property(env, argv[1], "channels", 0);
    int rate = (int)number_property(env, argv[1], "sampleRate", 0);
    j->rw_timeout = (int64_t)number_property(env, argv[1], "rwTimeoutUs", 0);
    const char *bad = !url                                               ? "url: a string"
                      : !j->protocols || !j->formats                    ? "protocolWhitelist and formatWhitelist: strings"
                      : (j->stream_index < 0) == (j->audio_index < 0)    ? "one of streamIndex and audioIndex"
                      : channels < 1 || channels > 64                    ? "channels: 1 to 64"
                      : rate < 1 || rate > 1000000                       ? "sampleRate: 1 to 1000000"
                                                                         : NULL;
    if (bad) {
        free(url);
        free_job(j);
        napi_throw_type_error(env, NULL, bad);
        return NULL;
    }
    if (napi_create_promise(env, &j->deferred, &promise) != napi_ok) {
        free(url);
        free_job(j);
        napi_throw_error(env, NULL, "cannot start opening");
        return NULL;
    }
    if (!start_decoder(env, url, channels, rate, j)) {
        napi_reject_deferred(env, j->deferred, error_value(env, "cannot start the decoder's thread"));
        free_job(j);
    }
    return promise;
}

static decoder *handle_of(napi_env env, napi_value v)
{
    void *data = NULL;
    napi_valuetype type;
    if (napi_typeof(env, v, &type) != napi_ok || type != napi_external ||
        napi_get_value_external(env, v, &data) != napi_ok || !data) {
        napi_throw_type_error(env, NULL, "not a decoder handle");
        return NULL;
    }
    return data;
}

static napi_value js_read(napi_env env, napi_callback_info info)
{
    size_t argc = 2;
    napi_value argv[2], promise;
    CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
    if (argc < 1) {
        napi_throw_type_error(env, NULL, "read(handle, into?)");
        return NULL;
    }
    decoder *d = handle_of(env, argv[0]);
    if (!d) return NULL;
    void *into = NULL;
    size_t into_bytes = 0;
    napi_valuetype into_type = napi_undefined;
    if (argc > 1) CALL(env, napi_typeof(env, argv[1], &into_type));
    if (into_type != napi_undefined) {
        bool is_buffer = false;
        CALL(env, napi_is_buffer(env, argv[1], &is_buffer));
        if (is_buffer) CALL(env, napi_get_buffer_info(env, argv[1], &into, &into_bytes));
        if (!is_buffer || into_bytes < 2 * (size_t)d->channels || (uintptr_t)into % 2) {
            napi_throw_type_error(env, NULL, "read: `into` must be a Buffer of whole frames, at an even address");
            return NULL;
        }
    }
    napi_deferred deferred;
    CALL(env, napi_create_promise(env, &deferred, &promise));
    const char *refused = d->closed ? "the decoder is closed"
                          : d->busy ? "a read is already in flight on this decoder"
                          : d->failed ? "the decoder failed before"
                                      : NULL;
    if (refused) {
        char message[1200];
        snprintf(message, sizeof(message), "%s: %s", d->url, refused);
        napi_reject_deferred(env, deferred, error_value(env, message));
        return promise;
    }
    job *j = calloc(1, sizeof(*j));
    if (!j) {
        napi_reject_deferred(env, deferred, error_value(env, "out of memory"));
        return promise;
    }
    j->d = d;
    j->deferred = deferred;
    if (into) {
        j->base = into;
        j->cap = into_bytes / (2 * (size_t)d->channels);
    }
    if ((into && napi_create_reference(env, argv[1], 1, &j->into) != napi_ok) ||
        napi_create_reference(env, argv[0], 1, &j->handle) != napi_ok) {
        if (j->into) napi_delete_reference(env, j->into);
        free_job(j);
        napi_reject_deferred(env, deferred, error_value(env, "cannot start the read"));
        return promise;
    }
    d->busy = 1;
    napi_ref_threadsafe_function(env, d->done);
    pthread_mutex_lock(&d->lock);
    d->pending = j;
    pthread_cond_signal(&d->wake);
    pthread_mutex_unlock(&d->lock);
    return promise;
}

static napi_value js_close(napi_env env, napi_callback_info info)
{
    size_t argc = 1;
    napi_value argv[1];
    CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
    if (argc < 1) {
        napi_throw_type_error(env, NULL, "close(handle)");
        return NULL;
    }
    decoder *d = handle_of(env, argv[0]);
    if (!d) return NULL;
    if (!d->closed) {
        d->closed = 1;
        stop(d); /* the thread frees libav once a read in flight is done */
    }
    return NULL;
}

NAPI_MODULE_INIT()
{
    av_log_set_callback(log_callback);
    napi_value fn;
    CALL(env, napi_create_function(env, "open", NAPI_AUTO_LENGTH, js_open, NULL, &fn));
    CALL(env, napi_set_named_property(env, exports, "open", fn));
    CALL(env, napi_create_function(env, "read", NAPI_AUTO_LENGTH, js_read, NULL, &fn));
    CALL(env, napi_set_named_property(env, exports, "read", fn));
    CALL(env, napi_create_function(env, "close", NAPI_AUTO_LENGTH, js_close, NULL, &fn));
    CALL(env, napi_set_named_property(env, exports, "close", fn));
    return exports;
}
