/*
 * In-process audio decoding for the analyze service: the same PCM the ffmpeg CLI writes for
 * `-map M -ac C -ar R -c:a pcm_s16le -f s16le`, decoded with ffmpeg's libraries on the libuv
 * threadpool, so that the programme pass need not move every byte through a pipe.
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
#define NAPI_VERSION 8
#include <node_api.h>

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>

/* Frames one read aims for (a read may end a little short, never long unless one frame is). */
#define READ_FRAMES 65536

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
    int busy;         /* a read is on the threadpool */
    int closed;       /* close() was called; libav is freed once no read is in flight */
    atomic_int closing; /* tells libav's blocking I/O to give up (interrupt callback) */
} decoder;

typedef struct job {
    napi_async_work work;
    napi_deferred deferred;
    napi_ref handle; /* read: keeps the handle (and so the decoder) alive while in flight */
    napi_ref into;   /* read: the caller's buffer, kept alive while it is written */
    uint8_t *base;   /* where the read writes: the caller's buffer or the decoder's own */
    size_t cap;      /* frames room at `base` */
    int own;         /* 1: `base` is the decoder's own memory, copied into a new Buffer */
    decoder *d;
    /* open's arguments */
    char *url, *protocols, *formats;
    int stream_index, audio_index, channels, rate;
    int64_t rw_timeout;
    /* results */
    int failed;
    char message[1024];
    size_t bytes;
} job;

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

static void destroy(decoder *d)
{
    if (!d) return;
    release(d);
    free(d->url);
    free(d);
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

static void open_execute(napi_env env, void *data)
{
    (void)env;
    job *j = data;
    last_log[0] = 0;
    decoder *d = calloc(1, sizeof(*d));
    if (!d) {
        fail(j, j->url, "cannot open", AVERROR(ENOMEM));
        return;
    }
    d->url = j->url;
    j->url = NULL;
    d->channels = j->channels;
    d->rate = j->rate;
    d->stream = -1;
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
    j->d = d;
    return;
failed:
    fail(j, d->url, what, r);
    destroy(d);
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

static void read_execute(napi_env env, void *data)
{
    (void)env;
    job *j = data;
    decoder *d = j->d;
    last_log[0] = 0;
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
    free(j->url);
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

static void finalize_decoder(napi_env env, void *data, void *hint)
{
    (void)env;
    (void)hint;
    destroy(data);
}

static void open_complete(napi_env env, napi_status status, void *data)
{
    job *j = data;
    napi_value value;
    if (status != napi_ok || j->failed) {
        napi_reject_deferred(env, j->deferred, error_value(env, j->failed ? j->message : "open cancelled"));
        destroy(j->d);
    } else if (napi_create_external(env, j->d, finalize_decoder, NULL, &value) != napi_ok) {
        destroy(j->d);
        napi_reject_deferred(env, j->deferred, error_value(env, "cannot create the decoder's handle"));
    } else {
        napi_resolve_deferred(env, j->deferred, value);
    }
    napi_delete_async_work(env, j->work);
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

static napi_value js_open(napi_env env, napi_callback_info info)
{
    size_t argc = 2;
    napi_value argv[2], promise, name;
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
    size_t len;
    if (napi_get_value_string_utf8(env, argv[0], NULL, 0, &len) == napi_ok && (j->url = malloc(len + 1)))
        napi_get_value_string_utf8(env, argv[0], j->url, len + 1, &len);
    j->protocols = string_property(env, argv[1], "protocolWhitelist");
    j->formats = string_property(env, argv[1], "formatWhitelist");
    j->stream_index = (int)number_property(env, argv[1], "streamIndex", -1);
    j->audio_index = (int)number_property(env, argv[1], "audioIndex", -1);
    j->channels = (int)number_property(env, argv[1], "channels", 0);
    j->rate = (int)number_property(env, argv[1], "sampleRate", 0);
    j->rw_timeout = (int64_t)number_property(env, argv[1], "rwTimeoutUs", 0);
    const char *bad = !j->url                                            ? "url: a string"
                      : !j->protocols || !j->formats                    ? "protocolWhitelist and formatWhitelist: strings"
                      : (j->stream_index < 0) == (j->audio_index < 0)    ? "one of streamIndex and audioIndex"
                      : j->channels < 1 || j->channels > 64              ? "channels: 1 to 64"
                      : j->rate < 1 || j->rate > 1000000                 ? "sampleRate: 1 to 1000000"
                                                                         : NULL;
    if (bad) {
        free_job(j);
        napi_throw_type_error(env, NULL, bad);
        return NULL;
    }
    if (napi_create_promise(env, &j->deferred, &promise) != napi_ok ||
        napi_create_string_utf8(env, "frameproof:decode-open", NAPI_AUTO_LENGTH, &name) != napi_ok ||
        napi_create_async_work(env, NULL, name, open_execute, open_complete, j, &j->work) != napi_ok) {
        free_job(j);
        napi_throw_error(env, NULL, "cannot start opening");
        return NULL;
    }
    if (napi_queue_async_work(env, j->work) != napi_ok) {
        napi_delete_async_work(env, j->work);
        free_job(j);
        napi_throw_error(env, NULL, "cannot start opening");
        return NULL;
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

static void read_complete(napi_env env, napi_status status, void *data)
{
    job *j = data;
    decoder *d = j->d;
    d->busy = 0;
    napi_value value;
    if (d->closed) {
        release(d);
        napi_reject_deferred(env, j->deferred, error_value(env, "the decoder was closed during the read"));
    } else if (status != napi_ok || j->failed) {
        napi_reject_deferred(env, j->deferred, error_value(env, j->failed ? j->message : "read cancelled"));
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
    napi_delete_async_work(env, j->work);
    free_job(j);
}

static napi_value js_read(napi_env env, napi_callback_info info)
{
    size_t argc = 2;
    napi_value argv[2], promise, name;
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
        napi_create_reference(env, argv[0], 1, &j->handle) != napi_ok ||
        napi_create_string_utf8(env, "frameproof:decode-read", NAPI_AUTO_LENGTH, &name) != napi_ok ||
        napi_create_async_work(env, NULL, name, read_execute, read_complete, j, &j->work) != napi_ok) {
        if (j->handle) napi_delete_reference(env, j->handle);
        if (j->into) napi_delete_reference(env, j->into);
        free_job(j);
        napi_reject_deferred(env, deferred, error_value(env, "cannot start the read"));
        return promise;
    }
    if (napi_queue_async_work(env, j->work) != napi_ok) {
        napi_delete_async_work(env, j->work);
        napi_delete_reference(env, j->handle);
        if (j->into) napi_delete_reference(env, j->into);
        free_job(j);
        napi_reject_deferred(env, deferred, error_value(env, "cannot start the read"));
        return promise;
    }
    d->busy = 1;
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
        atomic_store(&d->closing, 1);
        if (!d->busy) release(d); /* else when the read completes */
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
