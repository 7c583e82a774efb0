/*-------------------------------------------------------------------------
 * durable.c
 *		Write a file whole or not at all.
 *
 * The bytes go to a temporary file beside the target, are fsynced, and the
 * file is renamed over the target (durable_rename fsyncs the directory too).
 * Readers see the old file or the new one; an error or a cancel at any point
 * removes the temporary file.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <fcntl.h>
#include <unistd.h>

#include "miscadmin.h"
#include "storage/fd.h"

#include "durable.h"

void
GtfsWriteFileDurably(const char *path, const char *data, size_t len)
{
	char	   *tmp = psprintf("%s.tmp.%d", path, MyProcPid);
	volatile int fd = OpenTransientFile(tmp, O_WRONLY | O_CREAT | O_TRUNC | PG_BINARY);

	if (fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create file \"%s\": %m", tmp)));
	PG_TRY();
	{
		size_t		done = 0;

		while (done < len)
		{
			ssize_t		n = write(fd, data + done, Min(len - done, (size_t) 1 << 20));

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
			{
				if (n == 0)
					errno = ENOSPC;
				ereport(ERROR,
						(errcode_for_file_access(),
						 errmsg("could not write file \"%s\": %m", tmp)));
			}
			done += n;
			CHECK_FOR_INTERRUPTS();
		}
		if (pg_fsync(fd) != 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not fsync file \"%s\": %m", tmp)));
		CloseTransientFile(fd);
		fd = -1;
		durable_rename(tmp, path, ERROR);
	}
	PG_CATCH();
	{
		if (fd >= 0)
			CloseTransientFile(fd);
		unlink(tmp);
		PG_RE_THROW();
	}
	PG_END_TRY();
}
