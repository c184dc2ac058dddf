// Who a received file's answer goes to, and room for it in tonight's outbox.
//
// The outbox is planned after the day has closed, from the store alone, so nothing
// a participant sends may make that plan impossible: the import checks, before a
// file is stored, every value the plan will take from it. The receiver of an answer
// is stored checked (files.answer_to), and the number of answers is kept within what
// names can carry: a name holds file_seq in four digits, so day D can send at most
// MAX_FILE_SEQ files of one type to one receiver, and the answers (TXN_ACK,
// INTEROP_IN_RESULT) are the only files whose number others decide. A file whose
// answer would not fit waits in the inbox for a later night, like a file dated after
// D; an INTEROP_RESULT whose rejections would need one late TXN_ACK too many waits too.
import type { FileType, Header } from '../core/types';
import { ackReceiver, MAX_FILE_SEQ } from '../files/names';
import type { Db } from '../store/db';
import { ANSWER_TYPE, answerKey, answersPlanned } from '../store/outbox-plan';

/**
 * Who the answer to a received file goes to: an upload's TXN_ACK to its sender (as
 * the header or else the name gives it), an INTEROP_IN's INTEROP_IN_RESULT to the
 * national centre; null when the file gets no answer (another type, a header that
 * could not be read, or no institution to send it to).
 */
export function answerReceiver(header: Header | null, name: string, national_id: string): string | null {
  if (header === null) return null;
  if (header.file_type === 'TXN_UPLOAD') return ackReceiver(header.sender_id, name);
  if (header.file_type === 'INTEROP_IN') return national_id;
  return null;
}

/** The type of the file that answers one of this type, if it is answered. */
export function answerTypeOf(file_type: FileType): FileType | null {
  return file_type === 'TXN_UPLOAD' || file_type === 'INTEROP_IN' ? ANSWER_TYPE[file_type] : null;
}

/** A file whose answer has no room in tonight's outbox: thrown inside its transaction, which rolls back; it waits. */
export class NoRoomForAnswer extends Error {}

/** Tonight's answers, counted as the outbox plan will number them. */
export class AnswerRoom {
  private planned: Map<string, number>;

  constructor(
    private readonly db: Db,
    private readonly D: string,
  ) {
    // A resumed run counts what the interrupted one stored.
    this.planned = answersPlanned(db, D);
  }

  /** Whether one more file of this type to this receiver fits in tonight's names. */
  fits(answer_type: FileType, receiver_id: string): boolean {
    return (this.planned.get(answerKey(answer_type, receiver_id)) ?? 0) < MAX_FILE_SEQ;
  }

  /** One more such file is stored. */
  took(answer_type: FileType, receiver_id: string): void {
    const k = answerKey(answer_type, receiver_id);
    this.planned.set(k, (this.planned.get(k) ?? 0) + 1);
  }

  /**
   * Inside an INTEROP_RESULT's transaction, once its verdicts are stored: throws
   * NoRoomForAnswer when the late TXN_ACKs they add would not fit.
   */
  checkLateAcks(): void {
    for (const [k, n] of answersPlanned(this.db, this.D)) {
      if (n > MAX_FILE_SEQ)
        throw new NoRoomForAnswer(`its rejections would need more than ${MAX_FILE_SEQ} ${k.replace('|', ' files to ')}`);
    }
  }

  /** After an INTEROP_RESULT is stored: its late TXN_ACKs are counted. */
  recount(): void {
    this.planned = answersPlanned(this.db, this.D);
  }
}
