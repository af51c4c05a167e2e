/* File I/O helpers (see file.h). */
#include "file.h"

#include "err.h"
#include "mem.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int pith_file_read(struct pith_buf *out, const char *path, size_t max_len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return pith_error_set(e == ENOENT ? PITH_ENOTFOUND : PITH_EIO, "cannot open %s: %s", path,
                              strerror(e));
    }
    struct stat st;
    int err = 0;
    if (fstat(fd, &st) != 0) {
        err = pith_error_set(PITH_EIO, "cannot stat %s: %s", path, strerror(errno));
        goto out;
    }
    if ((size_t)st.st_size > max_len) {
        err = pith_error_set(PITH_ETOOBIG, "%s is larger than %zu bytes", path, max_len);
        goto out;
    }
    pith_buf_clear(out);
    pith_buf_grow(out, (size_t)st.st_size);
    for (;;) {
        pith_buf_grow(out, 65536);
        ssize_t n = read(fd, out->ptr + out->len, out->cap - out->len - 1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            err = pith_error_set(PITH_EIO, "cannot read %s: %s", path, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        out->len += (size_t)n;
        if (out->len > max_len) {
            err = pith_error_set(PITH_ETOOBIG, "%s is larger than %zu bytes", path, max_len);
            goto out;
        }
    }
    out->ptr[out->len] = '\0';
out:
    close(fd);
    return err;
}

int pith_file_write_atomic(const char *path, const void *data, size_t len)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return pith_error_set(PITH_EIO, "cannot create %s: %s", tmp, strerror(errno));
    const char *p = data;
    size_t left = len;
    while (left) {
        ssize_t n = write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            unlink(tmp);
            return pith_error_set(PITH_EIO, "cannot write %s: %s", tmp, strerror(e));
        }
        p += n;
        left -= (size_t)n;
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return pith_error_set(PITH_EIO, "cannot write %s: %s", path, strerror(e));
    }
    return 0;
}

int pith_mkdir_p(const char *path)
{
    char *p = pith_xstrdup(path);
    int err = 0;
    for (char *s = p + 1;; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST) {
                err =
                    pith_error_set(PITH_EIO, "cannot create directory %s: %s", p, strerror(errno));
                break;
            }
            *s = c;
            if (c == '\0')
                break;
        }
    }
    free(p);
    return err;
}

int pith_rm_rf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : pith_error_set(PITH_EIO, "cannot stat %s", path);
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (!d)
            return pith_error_set(PITH_EIO, "cannot open directory %s", path);
        struct dirent *de;
        int err = 0;
        while (!err && (de = readdir(d)) != NULL) {
            if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                continue;
            size_t n = strlen(path) + strlen(de->d_name) + 2;
            char *child = pith_xmalloc(n);
            snprintf(child, n, "%s/%s", path, de->d_name);
            err = pith_rm_rf(child);
            free(child);
        }
        closedir(d);
        if (err)
            return err;
        if (rmdir(path) != 0)
            return pith_error_set(PITH_EIO, "cannot remove %s: %s", path, strerror(errno));
        return 0;
    }
    if (unlink(path) != 0)
        return pith_error_set(PITH_EIO, "cannot remove %s: %s", path, strerror(errno));
    return 0;
}

int pith_map_open(struct pith_map *out, const char *path)
{
    out->data = NULL;
    out->len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return pith_error_set(e == ENOENT ? PITH_ENOTFOUND : PITH_EIO, "cannot open %s: %s", path,
                              strerror(e));
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return pith_error_set(PITH_EIO, "cannot stat %s", path);
    }
    if (st.st_size > 0) {
        void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            close(fd);
            return pith_error_set(PITH_EIO, "cannot map %s: %s", path, strerror(errno));
        }
        out->data = p;
        out->len = (size_t)st.st_size;
    }
    close(fd);
    return 0;
}

void pith_map_release(struct pith_map *m)
{
    if (m->data)
        munmap((void *)m->data, m->len);
    m->data = NULL;
    m->len = 0;
}
