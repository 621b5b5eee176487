#include "recognize_commands.h"

RecognizeCommands::RecognizeCommands(const RecognizerConfig& config,
                                     int label_count, int capacity,
                                     int32_t* times, uint8_t* scores)
    : config_(config),
      label_count_(label_count),
      capacity_(capacity),
      times_(times),
      scores_(scores) {
  Reset();
}

void RecognizeCommands::Reset() {
  front_ = 0;
  size_ = 0;
  previous_index_ = 0;
  has_previous_time_ = false;
  previous_time_ = 0;
}

int RecognizeCommands::SlotOf(int offset) const {
  return (front_ + offset) % capacity_;
}

void RecognizeCommands::PopFront() {
  front_ = (front_ + 1) % capacity_;
  --size_;
}

RecognizeStatus RecognizeCommands::Process(const uint8_t* scores,
                                           int32_t time_ms,
                                           Recognition* result) {
  if (size_ > 0 && time_ms < times_[SlotOf(size_ - 1)]) {
    return RecognizeStatus::kTimeOrderError;
  }

  // Drop results older than the window (one exactly average_window_ms old stays).
  const int64_t time_limit =
      static_cast<int64_t>(time_ms) - config_.average_window_ms;
  while (size_ > 0 && times_[front_] < time_limit) {
    PopFront();
  }
  if (size_ == capacity_) {
    PopFront();  // Full: the newest result matters more than the oldest.
  }
  const int slot = SlotOf(size_);
  times_[slot] = time_ms;
  for (int i = 0; i < label_count_; ++i) {
    scores_[slot * label_count_ + i] = scores[i];
  }
  ++size_;

  const int64_t history_ms = static_cast<int64_t>(time_ms) - times_[front_];
  if (size_ < config_.minimum_count ||
      history_ms < config_.average_window_ms / 4) {
    return RecognizeStatus::kNotEnoughData;
  }

  int top_index = 0;
  int32_t top_score = 0;
  for (int i = 0; i < label_count_; ++i) {
    int32_t sum = 0;
    for (int offset = 0; offset < size_; ++offset) {
      sum += scores_[SlotOf(offset) * label_count_ + i];
    }
    const int32_t average = sum / size_;
    if (average > top_score) {
      top_score = average;
      top_index = i;
    }
  }

  bool suppressed = false;
  if (previous_index_ != 0 && has_previous_time_) {
    suppressed = static_cast<int64_t>(time_ms) - previous_time_ <=
                 config_.suppression_ms;
  }
  const bool is_new = top_score > config_.detection_threshold &&
                      (top_index != previous_index_ || !suppressed);
  if (is_new) {
    previous_index_ = top_index;
    previous_time_ = time_ms;
    has_previous_time_ = true;
  }
  result->label_index = top_index;
  result->score = static_cast<uint8_t>(top_score);
  result->is_new = is_new;
  return RecognizeStatus::kDecided;
}
